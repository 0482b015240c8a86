"""Erasure removes everything the clips hold about the person: their tracks' links, and every picture of
their track cached on this computer; the clip is blocked and the audit trail still verifies."""

from __future__ import annotations

from pathlib import Path

from tests.data.clip_cases import add_clip, checked_clip, track_of  # noqa: F401 - a fixture
from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.photos import cache
from consentdesk.core.protection.erasure import erase
from consentdesk.core.protection.withdrawal import takedown_list
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState


def test_erasure_unlinks_the_persons_tracks_and_drops_their_cached_pictures(
    checked_clip, tmp_path: Path, catalogue_locator: str, monkeypatch  # noqa: F811
):
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "home"))
    with Catalogue.open(catalogue_locator) as cat:
        person, other = add_person(cat, "Erin Erased"), add_person(cat, "Olga Other")
        clip = add_clip(cat, checked_clip)
        image = cat.get_image(clip)
        mine = track_of(cat, clip, checked_clip.truth, person=1)
        theirs = track_of(cat, clip, checked_clip.truth, person=3)
        workflow.link_face(cat, clip, mine, person.id)
        workflow.link_face(cat, clip, theirs, other.id)
        thumbs = [cache.track_thumbnail(cat, image, n) for n in (mine, theirs)]
        assert all(t.is_file() for t in thumbs)
        before = {f.n: f.box for f in cat.review_state(clip).faces}

        report = erase(cat, person.id)

        assert report.counts.images_blocked == (clip,) and report.counts.face_links_removed == 1
        faces = {f.n: f for f in cat.review_state(clip).faces}
        assert faces[mine].state is FaceState.UNRESOLVED and faces[mine].consent_id is None
        assert faces[theirs].consent_id == other.id  # the other person's link stays
        assert takedown_list(cat, person.id).items == ()  # nothing links the clip to the record any more
        assert not any(t.exists() for t in thumbs)  # the cached pictures of the clip's tracks are gone
        assert {f.n: f.box for f in cat.review_state(clip).faces} == before  # tracks are boxes: they stay
        assert cat.review_state(clip).rejected
        assert cat.verify_audit().ok
