"""Clips are shared on the team register proxy first: the photographer's import gives the register a
480 px proxy (never the original); a reviewer at another site reviews from it; export says where the
original is; the server's function is the only way in; erasure takes the proxy and every cached picture."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import psycopg
import pytest
from tests.data.clip_builder import truncate
from tests.data.clip_cases import checked_clip, track_of  # noqa: F401 - a fixture
from tests.data.lifecycle_fixtures import add_person
from tests.data.team_people import PASSWORDS, url_for

from consentdesk.core.media import imaging
from consentdesk.core.photos import cache
from consentdesk.core.photos.clip_sharing import share_clips
from consentdesk.core.photos.importer import CheckedFile, check_file, import_paths
from consentdesk.core.protection.erasure import erase
from consentdesk.core.review import export, workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState, FindingState


def _checker(clip):
    """The clip's analysis made once for the session (the real check for anything else)."""

    def check(path: str) -> CheckedFile:
        if Path(path).name != clip.path.name:
            return check_file(path)
        info = imaging.ImageInfo(path, clip.analysis.width, clip.analysis.height, "MP4", imaging.sha256_file(path))
        return CheckedFile(path, info, clip.analysis)

    return check


def _import_at_the_session(register, clip, card: Path) -> int:
    """Pat imports the card (the clip and a clip cut short) on her laptop; returns the clip's id."""
    card.mkdir(parents=True)
    shutil.copy(clip.path, card / clip.path.name)
    truncate(clip.path, card / "cut-short.mp4", keep=0.4)
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        report = import_paths(pat, [str(card)], workers=1, checker=_checker(clip))
    assert [Path(e.path).name for e in report.errors] == ["cut-short.mp4"] and report.unshared == []
    [clip_id] = report.added
    return clip_id


def test_a_reviewer_elsewhere_reviews_a_clip_whose_original_stayed_on_the_laptop(
    checked_clip, tmp_path: Path, team_register, monkeypatch  # noqa: F811
):
    card = tmp_path / "laptop" / "card"
    clip_id = _import_at_the_session(team_register, checked_clip, card)
    server, database, _ = team_register
    with server.admin(database) as conn:  # the register holds the proxy, never the clip itself
        assert conn.execute("SELECT count(*) FROM photo_files").fetchone()[0] == 0
        width, height, size = conn.execute("SELECT width, height, octet_length(data) FROM clip_proxies").fetchone()
    assert (width, height) == (480, 270) and size < checked_clip.path.stat().st_size / 3

    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-site"))  # another computer: no card here
    moved = tmp_path / "elsewhere"
    card.rename(moved)
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        image = rita.get_image(clip_id)
        local = cache.local_clip(rita, image)
        assert local.is_proxy and local.scale == pytest.approx(0.75)
        with av.open(str(local.path)) as proxy:
            video = proxy.streams.video[0]
            assert video.codec_context.name == "h264" and (video.width, video.height) == (480, 270)
            assert not proxy.streams.audio and "Acme" not in str(proxy.metadata)
            assert sum(1 for _ in proxy.decode(video=0)) == len(checked_clip.truth.frames)
        # a person track's thumbnail comes from the proxy, at the track's best sighting
        mine = track_of(rita, clip_id, checked_clip.truth, person=1)
        thumb = cache.track_thumbnail(rita, image, mine)
        assert thumb.is_file() and thumb.name.startswith(image.sha256)
        # the Library's card too (made from the proxy: the register keeps no working copy of a clip)
        card_picture = cache.thumbnail(image, 256, cache.StoredCopies.of(rita), folder=tmp_path / "cards")
        card_info = imaging.read_info(card_picture)
        assert max(card_info.width, card_info.height) == 256

        # reviewing works from the proxy; export needs the original and says where it is
        state = workflow.image_state(rita, clip_id)
        for face in state.faces:
            workflow.set_face(rita, clip_id, face.n, FaceState.BLUR)
        for finding in state.findings:
            workflow.set_finding(rita, clip_id, finding.n, FindingState.REDACT)
        with pytest.raises(export.ExportError) as refused:
            export.approve(rita, clip_id, ["instagram"], tmp_path / "out")
        assert "not on this computer" in str(refused.value) and str(card) in str(refused.value)
        assert "low-resolution proxy" in str(refused.value)

    card.parent.mkdir(exist_ok=True)
    moved.rename(card)  # back at the laptop: sharing again adds nothing
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        report = share_clips(pat, pat.list_images())
    assert report.shared == [] and report.problems == []  # it already has its proxy


def test_a_damaged_original_is_reported_and_the_sharing_batch_goes_on(
    checked_clip, tmp_path: Path, team_register  # noqa: F811
):
    from tests.data.clip_cases import add_clip

    first, second = tmp_path / "one.mp4", tmp_path / "two.mp4"
    shutil.copy(checked_clip.path, first)
    second.write_bytes(checked_clip.path.read_bytes() + b"\0" * 8)  # another clip (another hash)
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        ids = [add_clip(pat, checked_clip, first), add_clip(pat, checked_clip, second)]  # imported before proxies
        first.write_bytes(first.read_bytes()[:40_000])  # then cut short on the laptop
        report = share_clips(pat, pat.list_images())
    assert report.shared == [ids[1]]
    [(bad, why)] = report.problems
    assert bad == ids[0] and "changed since it was imported" in why


def test_only_the_servers_function_stores_a_proxy_and_only_for_a_clip_one_sees(
    checked_clip, tmp_path: Path, team_register  # noqa: F811
):
    clip_id = _import_at_the_session(team_register, checked_clip, tmp_path / "card")
    server, database, _ = team_register
    with server.admin(database) as conn:
        sha, data = conn.execute("SELECT sha256, data FROM clip_proxies").fetchone()
        conn.execute("DELETE FROM clip_proxies")  # (the owner's power) so the calls below could store one

    def call(name: str, *args, error=psycopg.errors.RestrictViolation) -> str:
        url = server.url(database, user=name, password=PASSWORDS[name])
        with psycopg.connect(url, autocommit=True) as conn, pytest.raises(error) as caught:
            conn.execute("SELECT cd_store_clip_proxy(%s, %s, %s, %s)", args)
        return str(caught.value)

    assert "among the clips you can see" in call("paula", sha, data, 480, 270)  # pat's clip, not hers
    assert "permission denied" in call("adam", sha, data, 480, 270, error=psycopg.errors.InsufficientPrivilege)
    assert "MP4" in call("pat", sha, b"<html>not a video</html>", 480, 270)
    assert "shape" in call("pat", sha, data, 480, 480)
    assert "shape" in call("pat", sha, data, 1920, 1080)
    assert "among the clips" in call("pat", "0" * 64, data, 480, 270)
    for name in ("pat", "rita", "paula"):
        with psycopg.connect(url_for(team_register, name), autocommit=True) as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege
        ):
            conn.execute("INSERT INTO clip_proxies VALUES (%s, 'x', 480, 270, %s, 'now', 'x')", (sha, data))
    with psycopg.connect(url_for(team_register, "pat"), autocommit=True) as conn:
        assert conn.execute("SELECT cd_store_clip_proxy(%s, %s, 480, 270)", (sha, data)).fetchone()[0] is True
        assert conn.execute("SELECT cd_store_clip_proxy(%s, %s, 480, 270)", (sha, data)).fetchone()[0] is False
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE clip_proxies SET width = 2")
    with server.admin(database) as conn, pytest.raises(psycopg.errors.RestrictViolation):
        conn.execute("UPDATE clip_proxies SET data = 'x'")  # never changed, even by the owner
    for name, sees in (("pat", 1), ("paula", 0), ("adam", 0), ("rita", 1)):
        with psycopg.connect(url_for(team_register, name), autocommit=True) as conn:  # row-level security
            assert conn.execute("SELECT count(*) FROM clip_proxies").fetchone()[0] == sees, name
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        entry = [e for e in rita.audit_entries(f"image:{clip_id}") if e.action == "clip.proxy_stored"][-1]
        assert entry.actor == "pat" and set(entry.details) == {"proxy_sha256", "width", "height", "bytes"}
        assert rita.verify_audit().ok


def test_erasure_takes_the_proxy_and_every_cached_picture_of_the_clip(
    checked_clip, tmp_path: Path, team_register, monkeypatch  # noqa: F811
):
    clip_id = _import_at_the_session(team_register, checked_clip, tmp_path / "card")
    shutil.rmtree(tmp_path / "card")
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Erased Donor")
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-site"))
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        image = rita.get_image(clip_id)
        mine = track_of(rita, clip_id, checked_clip.truth, person=1)
        workflow.link_face(rita, clip_id, mine, person.id)
        cached = [cache.local_clip(rita, image).path, cache.track_thumbnail(rita, image, mine)]
        assert all(p.is_file() for p in cached)
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "dpo-site"))
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        report = erase(dora, person.id)
        assert report.counts.images_blocked == (clip_id,) and report.counts.face_links_removed == 1
        assert dora.clip_proxy(image.sha256) is None and dora.verify_audit().ok
        assert all(f.state is not FaceState.LINKED for f in dora.review_state(clip_id).faces)
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-site"))
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        assert cache.prune_cache(rita) == {image.sha256}
        assert not any(p.exists() for p in cached)
        with pytest.raises(cache.PhotoUnavailable, match="not on this computer"):
            cache.local_clip(rita, image)
        with pytest.raises(psycopg.errors.RestrictViolation, match="erased"), psycopg.connect(
            url_for(team_register, "rita"), autocommit=True
        ) as conn:
            conn.execute("SELECT cd_store_clip_proxy(%s, 'x', 480, 270)", (image.sha256,))


def test_a_laptop_handing_in_its_clips_gives_the_register_their_proxies_not_the_originals(
    checked_clip, tmp_path: Path, pg_server  # noqa: F811
):
    from tests.data.clip_cases import add_clip

    from consentdesk.core.store.copy import copy_between

    laptop = tmp_path / "laptop.sqlite"
    kept, lost = tmp_path / "card" / "kept.mp4", tmp_path / "card" / "lost.mp4"
    kept.parent.mkdir()
    shutil.copy(checked_clip.path, kept)
    lost.write_bytes(checked_clip.path.read_bytes() + b"\0" * 8)
    with Catalogue.open(laptop) as desk:
        ids = [add_clip(desk, checked_clip, kept), add_clip(desk, checked_clip, lost)]
        shas = [desk.get_image(i).sha256 for i in ids]
    lost.unlink()  # gone from the card before the laptop was handed in: the batch goes on without it
    register_url = pg_server.url(pg_server.new_database())
    report = copy_between(laptop, register_url)
    assert report.ok, report.conflicts
    count = report.tables["clip_proxies"]
    assert (count.added, count.skipped) == (1, 1) and report.tables["photo_files"].added == 0
    assert any("no proxy was given" in note and "share-clips" in note for note in report.notes)
    with Catalogue.open(register_url, create=False) as register:
        proxy = register.clip_proxy(shas[0])
        assert proxy is not None and (proxy.width, proxy.height) == (480, 270)
        assert register.clip_proxy(shas[1]) is None and register.stored_photo_shas(shas) == set()
        assert register.verify_audit().ok


def test_a_dpo_elsewhere_answers_a_request_from_the_proxy(
    checked_clip, tmp_path: Path, team_register, monkeypatch  # noqa: F811
):
    import zipfile

    from pypdf import PdfReader

    from consentdesk.core.protection.sar import build_sar_bundle
    from consentdesk.core.vision.faces import FaceDetector

    card = tmp_path / "laptop" / "card"
    clip_id = _import_at_the_session(team_register, checked_clip, card)
    shutil.rmtree(tmp_path / "laptop")  # the original is on the laptop, far away
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Zofia Requester")
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        workflow.link_face(rita, clip_id, track_of(rita, clip_id, checked_clip.truth, person=1), person.id)
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "dpo-site"))
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        contents = build_sar_bundle(dora, person.id, tmp_path / "sar.zip")
    [item] = contents.images
    assert item.bundle_name == f"clips/clip-{clip_id}.mp4" and item.low_resolution
    with zipfile.ZipFile(tmp_path / "sar.zip") as zf:
        zf.extractall(tmp_path / "sar")
    summary = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "sar" / "summary.pdf").pages).split())
    assert "low-resolution copy" in summary
    detector, k = FaceDetector(), 480 / 640
    by_t = {round(f.t, 2): f for f in checked_clip.truth.frames}
    found_mine = 0
    with av.open(str(tmp_path / "sar" / item.bundle_name)) as bundled:
        for i, frame in enumerate(bundled.decode(video=0)):
            if i % 3:
                continue
            assert (frame.width, frame.height) == (480, 270)
            mine = by_t[round(float(frame.time), 2)].faces.get(1)
            for face in detector.detect(frame.to_ndarray(format="rgb24")):
                cx, cy = (face.box.x + face.box.w / 2) / k, (face.box.y + face.box.h / 2) / k
                assert mine and mine[0] <= cx <= mine[0] + mine[2] and mine[1] <= cy <= mine[1] + mine[3], frame.time
                found_mine += 1
    assert found_mine >= 10  # the person's own face is there to see


def test_the_import_worker_makes_the_proxy_not_the_storing_process(
    checked_clip, tmp_path: Path, team_register, monkeypatch  # noqa: F811
):
    """The proxy is re-encoded beside the clip's check, in the worker: made in the storing process it held
    up the progress (and the storing) of every other file for as long as the re-encoding took."""
    from consentdesk.core.photos import clip_sharing

    def not_here(*_args, **_kwargs):
        raise AssertionError("the proxy was made in the storing process")

    monkeypatch.setattr(clip_sharing, "share_clip", not_here)
    card = tmp_path / "card"
    card.mkdir()
    shutil.copy(checked_clip.path, card / "reel.mp4")
    shutil.copy(checked_clip.path, card / "second.mp4")
    with open(card / "second.mp4", "ab") as fh:
        fh.write(b"\0" * 16)  # another file, the same pictures
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        report = import_paths(pat, [str(card)], workers=2)
        assert len(report.added) == 2 and report.errors == [] and report.unshared == []
        shas = {pat.get_image(i).sha256 for i in report.added}
        assert pat.stored_proxy_shas(shas) == shas
