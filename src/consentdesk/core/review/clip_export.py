"""Writing the approved copy of a clip: every blurred person and redacted finding destroyed on every frame.

Why it is built this way:
- Every frame is decoded, cleaned and encoded again; nothing of the original's picture is copied as it was.
  A track's box on a frame between two recorded points is interpolated, grown by a margin and by how far
  the box moved, and a track is covered a little before its first and after its last sighting (a face
  entering the frame is there before the detector is sure of it). The gaps between two sightings are
  covered by the boxes motion carried (see `tracks`): the frames where a face "slips through" a blur are
  exactly those, so they get the most margin.
- Faces are pixelated to the coarsest mosaic, one block of the region's mean colour (`MAX_BLOCKS` says why),
  and findings filled solid (`destroy_yuv`, in the frame's own YUV planes), the pixels replaced.
- The sound is copied packet for packet (no re-encoding, no loss). Nothing else of the original file is:
  the new file is written from scratch with only the streams, so GPS position, device make, model and
  serial, owner and the original creation software never ride along. The picture is written upright
  (rotation applied) so boxes land where the reviewer saw them in every player.
- The release status and ids are written as XMP in the MP4's `uuid` box, where exiftool, Lightroom and
  DAMs look for it. The copy is always an MP4 with H.264 video: what every platform accepts.
- Like photos: written under a temporary name in the target folder and moved into place, never
  overwriting; a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from consentdesk.core.media import encoding
from consentdesk.core.media.video import Cancelled, ClipError, ClipReader, upright_turns
from consentdesk.core.values import Box, ClipTrack

#: Share of a box's size added on every side; the motion between two points is added on top.
MARGIN = 0.25
#: Seconds a track is covered before its first and after its last recorded point.
LEAD = 0.4
#: A finding's fill: the dark grey (32, 32, 32) of a photo's, in video levels (BT.601, limited range): Y, U, V.
FILL_YUV = (43, 128, 128)
#: Mosaic blocks across a face region: one, so a blurred person's region (face plus margin) becomes its
#: own mean colour. A clip gives the detector, or a person, dozens of looks at the same face, and the
#: approving computer's check (`clip_face_check`) refuses a copy where it finds a face in such a region:
#: every finer mosaic was taken for one. bench/mosaic_faces.py --clips (six generated clips, every frame of
#: the copy as the check judges it, int8 model), frames refused of 1080 (top score): 4 blocks 2 (0.42),
#: 3 blocks 33 (0.56), 2 blocks 2 (0.41), 4 blocks with a light blur 226 (0.71), one block 0; at 5 blocks
#: one frame of a test clip too. On 360 still face regions every treatment scored 0 with either model.
MAX_BLOCKS = 1

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_NAMESPACES = {
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "iptcExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
}


class ExportFailed(Exception):
    """The clip copy could not be written; nothing was left behind. The message says what to do."""


@dataclass(frozen=True, slots=True)
class Redaction:
    """One track to destroy in the copy: a person to pixelate or a finding to fill."""

    track: ClipTrack
    fill: bool = False  # True: solid fill (findings); False: mosaic (faces)


def choose_encoder() -> str:
    """The encoder the approved copy is written with (`encoding.ENCODERS`, best first)."""
    try:
        return encoding.choose_encoder()
    except encoding.NoEncoder as exc:
        raise ExportFailed("this installation of ConsentDesk has no video encoder; reinstall it") from exc


def cover_at(points: Sequence, seen: Sequence, t: float) -> tuple[float, float, float, float] | None:
    """What to destroy at `t`: the box motion carried there and, between two sightings, the straight line
    between them too. Motion follows a walking person; the straight line covers someone standing still
    whose box was dragged off by a person passing in front (the union is safe in both cases).

    Before the first and after the last sighting the region is also swept along the motion between the
    first (last) two sightings: a fresh track's carried box is widened rather than moved (nothing says yet
    whether the person walks), so the recorded points alone under-state how fast a face entering (leaving)
    the frame moves, and its first frames would slip out from under the cover.
    """
    region = box_at(points, t)
    if region is None or len(seen) < 2:
        return region
    if seen[0].t < t < seen[-1].t:
        extra = box_at(seen, t, lead=0.0)
    elif t <= seen[0].t:
        extra = _swept(seen[0].box, _velocity(seen[0], seen[1]), t - seen[0].t, MARGIN)
    else:
        extra = _swept(seen[-1].box, _velocity(seen[-2], seen[-1]), min(t - seen[-1].t, LEAD), MARGIN)
    if extra is None:
        return region
    return min(region[0], extra[0]), min(region[1], extra[1]), max(region[2], extra[2]), max(region[3], extra[3])


def box_at(points: Sequence, t: float, margin: float = MARGIN, lead: float = LEAD) -> tuple[float, float, float, float] | None:
    """The region to cover at `t` (x0, y0, x1, y1, unclipped), or None when the track is not there.

    Between two points the box is interpolated and grown by `margin` of its size plus the distance the box
    moved between them; before the first and after the last point the end box is held and swept along the
    track's motion for `lead` seconds.
    """
    if not points or t < points[0].t - lead or t > points[-1].t + lead:
        return None
    if t <= points[0].t:
        a = b = points[0]
        nxt = points[1] if len(points) > 1 else a
        return _swept(a.box, _velocity(a, nxt), t - a.t, margin)
    if t >= points[-1].t:
        a = points[-1]
        prv = points[-2] if len(points) > 1 else a
        return _swept(a.box, _velocity(prv, a), t - a.t, margin)
    lo, hi = 0, len(points) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if points[mid].t <= t:
            lo = mid
        else:
            hi = mid
    a, b = points[lo], points[hi]
    k = 0.0 if b.t == a.t else (t - a.t) / (b.t - a.t)
    ax0, ay0, ax1, ay1 = a.box.x, a.box.y, a.box.x + a.box.w, a.box.y + a.box.h
    bx0, by0, bx1, by1 = b.box.x, b.box.y, b.box.x + b.box.w, b.box.y + b.box.h
    x0, y0 = ax0 + k * (bx0 - ax0), ay0 + k * (by0 - ay0)
    x1, y1 = ax1 + k * (bx1 - ax1), ay1 + k * (by1 - ay1)
    moved_x = abs((bx0 + bx1) - (ax0 + ax1)) / 2
    moved_y = abs((by0 + by1) - (ay0 + ay1)) / 2
    w, h = x1 - x0, y1 - y0
    mx, my = margin * w + moved_x / 2, margin * h + moved_y / 2
    return x0 - mx, y0 - my, x1 + mx, y1 + my


def _velocity(a, b) -> tuple[float, float]:
    dt = b.t - a.t
    if dt <= 0:
        return 0.0, 0.0
    return ((b.box.x + b.box.w / 2) - (a.box.x + a.box.w / 2)) / dt, ((b.box.y + b.box.h / 2) - (a.box.y + a.box.h / 2)) / dt


def _swept(box: Box, v: tuple[float, float], dt: float, margin: float) -> tuple[float, float, float, float]:
    """The end box and where it would be `dt` seconds along the track's motion, together, with margin."""
    dx, dy = v[0] * dt, v[1] * dt
    x0, y0 = min(box.x, box.x + dx), min(box.y, box.y + dy)
    x1, y1 = max(box.x + box.w, box.x + box.w + dx), max(box.y + box.h, box.y + box.h + dy)
    mx, my = margin * box.w * 1.5, margin * box.h * 1.5
    return x0 - mx, y0 - my, x1 + mx, y1 + my


def xmp_packet(fields: Mapping[str, object], extra_ns: Mapping[str, str] | None = None) -> bytes:
    """An XMP packet from `Xmp.<prefix>.<Name>` fields (lists become rdf:Bag), as export.xmp_fields gives."""
    ns = dict(_NAMESPACES)
    ns.update(extra_ns or {})
    used: dict[str, str] = {}
    props = []
    for key, value in fields.items():
        _xmp, prefix, name = key.split(".", 2)
        used[prefix] = ns[prefix]
        if isinstance(value, (list, tuple)):
            items = "".join(f"<rdf:li>{escape(str(v))}</rdf:li>" for v in value)
            props.append(f"<{prefix}:{name}><rdf:Bag>{items}</rdf:Bag></{prefix}:{name}>")
        else:
            props.append(f"<{prefix}:{name}>{escape(str(value))}</{prefix}:{name}>")
    decl = " ".join(f'xmlns:{p}="{escape(u)}"' for p, u in used.items())
    body = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {decl}>' + "".join(props) + "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )
    return body.encode("utf-8")


def _append_xmp(path: Path, packet: bytes) -> None:
    """A top-level `uuid` box after the others: no offset in the file changes, and readers find it."""
    box = (8 + 16 + len(packet)).to_bytes(4, "big") + b"uuid" + XMP_UUID + packet
    with path.open("ab") as fh:
        fh.write(box)


@dataclass
class _Job:
    """One export under way: the open input, the open output and what to destroy."""

    reader: ClipReader
    out: object  # av output container
    vout: object  # its video stream
    aout: object | None  # its sound stream (a copy of the original's), if any
    tracks: list[tuple[Sequence, Sequence, bool]]  # (points, sightings, fill)
    last_pts: int | None = None


def _open_output(reader: ClipReader, out, encoder: str, crf: int, preset: str, tracks) -> _Job:
    info = reader.info
    vin = reader._container.streams.video[0]
    ain = reader._container.streams.audio[0] if reader._container.streams.audio else None
    size = (info.width // 2 * 2, info.height // 2 * 2)
    # the copy counts in the original's time base, so every frame keeps its own time
    vout = encoding.open_video_stream(out, encoder, info.frame_rate, size, vin.time_base, crf=crf, preset=preset)
    aout = None
    if ain is not None:
        aout = out.add_stream_from_template(ain)
        aout.metadata.clear()  # a handler or vendor name says nothing the copy needs
    return _Job(reader, out, vout, aout, tracks)


def _clean(job: _Job, frame, t: float):
    """One decoded frame, upright, with every track present at `t` destroyed, as a new frame.

    Worked on in the encoder's own YUV 4:2:0 planes: converting every full frame to RGB and back cost a
    quarter of the export's CPU (bench/video.py) and bought nothing, a mosaic or a fill is as final in
    Y, U and V as in R, G and B."""
    import av

    w, h = job.vout.width, job.vout.height
    planes = _upright_planes(frame, w, h)
    for points, seen, fill in job.tracks:
        region = cover_at(points, seen, t)
        if region is not None:
            destroy_yuv(planes, region, fill)
    packed = np.concatenate([p.ravel() for p in planes]).reshape(h * 3 // 2, w)
    clean = av.VideoFrame.from_ndarray(packed, format="yuv420p")
    # the original timing, so the sound stays in step; a frame stamped at or before the previous one (a
    # badly joined or damaged file) goes one tick later, since an encoder needs times that move forward
    pts = frame.pts if frame.pts is not None else (job.last_pts or 0) + 1
    if job.last_pts is not None and pts <= job.last_pts:
        pts = job.last_pts + 1
    job.last_pts = clean.pts = pts
    clean.time_base = frame.time_base
    return clean


def _upright_planes(frame, width: int, height: int) -> list[np.ndarray]:  # noqa: ANN001 - an av.VideoFrame
    """Y, U and V of a decoded frame, turned upright and cut to the copy's even `width` x `height`."""
    turns = upright_turns(frame.rotation)
    if frame.width % 2 or frame.height % 2:  # PyAV gives 4:2:0 arrays of even sizes only: through RGB
        import cv2

        rgb = frame.to_ndarray(format="rgb24")
        rgb = np.ascontiguousarray((np.rot90(rgb, turns) if turns else rgb)[:height, :width])
        flat = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).reshape(-1)
        turns, fw, fh = 0, width, height
    else:
        flat = frame.to_ndarray(format="yuv420p").reshape(-1)  # Y rows, then U, then V
        fw, fh = frame.width, frame.height
    cw, ch = fw // 2, fh // 2
    planes = (flat[: fw * fh].reshape(fh, fw), flat[fw * fh : fw * fh + cw * ch].reshape(ch, cw),
              flat[fw * fh + cw * ch :].reshape(ch, cw))
    if turns:
        planes = tuple(np.rot90(p, turns) for p in planes)
    return [np.ascontiguousarray(p[: height // k, : width // k]) for p, k in zip(planes, (1, 2, 2), strict=True)]


def destroy_yuv(planes: list[np.ndarray], region: tuple[float, float, float, float], fill: bool) -> None:
    """Replace the pixels of `region` in a YUV 4:2:0 frame, in place: a coarse mosaic (at most `MAX_BLOCKS`
    across, the same blocks in Y at full size and in U and V at half size; one block: the region's mean
    colour) or a solid dark fill."""
    y = planes[0]
    h, w = y.shape[:2]
    x0, y0 = max(0, int(np.floor(region[0]))) // 2 * 2, max(0, int(np.floor(region[1]))) // 2 * 2
    x1, y1 = min(w, int(np.ceil(region[2]))), min(h, int(np.ceil(region[3])))
    if x1 <= x0 or y1 <= y0:
        return
    if fill:
        y[y0:y1, x0:x1] = FILL_YUV[0]
        planes[1][y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2] = FILL_YUV[1]
        planes[2][y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2] = FILL_YUV[2]
        return
    bx = max(1, min(MAX_BLOCKS, (x1 - x0) // 4))
    by = max(1, round(bx * (y1 - y0) / (x1 - x0))) if bx > 1 else 1  # one block: the whole region's mean
    _mosaic(y, x0, y0, x1, y1, bx, by)
    for chroma in planes[1:]:
        _mosaic(chroma, x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2, bx, by)


def _mosaic(plane: np.ndarray, x0: int, y0: int, x1: int, y1: int, bx: int, by: int) -> None:
    import cv2

    part = plane[y0:y1, x0:x1]
    if part.size == 0:
        return
    small = cv2.resize(part, (bx, by), interpolation=cv2.INTER_AREA)
    plane[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)


def _copy_all(job: _Job, name: str, progress, cancel) -> None:
    """Every packet of the original: sound copied, pictures cleaned and encoded again."""
    import av

    src = job.reader._container
    vin = src.streams.video[0]
    ain = src.streams.audio[0] if src.streams.audio else None
    info = job.reader.info
    total = max(info.duration, 1e-6)
    start = vin.start_time or 0
    t = 0.0
    last_audio = None
    try:
        for packet in src.demux(*[s for s in (vin, ain) if s is not None]):
            if cancel is not None and cancel():
                raise Cancelled()
            if packet.stream is ain:
                # sound packets are copied as they are; one whose time runs backwards (a badly joined
                # clip) is left out rather than failing the export: a few milliseconds of sound
                if packet.dts is not None and (last_audio is None or packet.dts > last_audio):
                    last_audio = packet.dts
                    packet.stream = job.aout
                    job.out.mux(packet)
                continue
            for frame in packet.decode():
                t = float((frame.pts - start) * vin.time_base) if frame.pts is not None else t
                for out_packet in job.vout.encode(_clean(job, frame, t)):
                    job.out.mux(out_packet)
                if progress is not None:
                    progress(min(1.0, t / total))
    except av.error.FFmpegError:
        raise ClipError(f"{name} is cut short or damaged at {t:.1f} s") from None
    if info.duration and t < info.duration - max(0.5, 3 / max(info.frame_rate, 1.0)):
        raise ClipError(f"{name} is cut short or damaged at {t:.1f} s")
    for out_packet in job.vout.encode():
        job.out.mux(out_packet)


def _seal(tmp: Path, target: Path, xmp, xmp_ns) -> str:
    """XMP appended, the file flushed to disk, hashed, and moved to its name (never over another file)."""
    if xmp:
        _append_xmp(tmp, xmp_packet(xmp, xmp_ns))
    digest = hashlib.sha256()
    with tmp.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
        os.fsync(fh.fileno())
    if target.exists():
        raise ExportFailed(f"{target} appeared while exporting; nothing was overwritten. Try again.")
    os.replace(tmp, target)
    return digest.hexdigest()


def export_clip(
    original: str | Path,
    target: str | Path,
    redactions: Sequence[Redaction],
    xmp: Mapping[str, object] | None = None,
    xmp_ns: Mapping[str, str] | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    encoder: str | None = None,
    crf: int = 20,
    preset: str = "veryfast",
) -> str:
    """Write the cleaned copy of `original` to `target` (an .mp4 that must not exist); returns its SHA-256."""
    import av

    target = Path(target)
    if target.exists():
        raise ExportFailed(f"{target} already exists; ConsentDesk never overwrites files. Choose another folder.")
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.mp4")
    encoder = encoder or choose_encoder()
    tracks = [
        (r.track.points, tuple(p for p in r.track.points if p.seen), r.fill) for r in redactions if r.track.points
    ]
    try:
        with ClipReader(original) as reader, av.open(str(tmp), "w", format="mp4") as out:
            job = _open_output(reader, out, encoder, crf, preset, tracks)
            _copy_all(job, Path(original).name, progress, cancel)
        return _seal(tmp, target, xmp, xmp_ns)
    except OSError as exc:
        raise ExportFailed(f"cannot write the approved copy to {target.parent}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
