"""Ship OpenCV without its FFmpeg: stand-ins for the FFmpeg libraries the Linux cv2 module links to.

Why: the opencv-python wheels link cv2 itself to their own FFmpeg (libavcodec, libavformat, libavutil,
libswscale and, through them, libvpx, libdav1d, libswresample, OpenSSL 1.1): about 33 MB of a bundle
whose video is read and written with PyAV, never with cv2.VideoCapture or cv2.VideoWriter. No OpenCV wheel
without FFmpeg exists (opencv/opencv-python#353), and building OpenCV does not fit in CI. So the build
replaces each of those libraries with a tiny one of the same name that defines the same versioned
symbols: cv2 loads as before, and every OpenCV feature but video works unchanged. Should anything ever
call into cv2's video support in the bundle, the stand-in says so on stderr and stops the program rather
than pretend (tests/test_opencv_video_unused.py keeps cv2's video calls out of the code).

The symbols are read from the cv2 module being bundled, so a new OpenCV needs no change here. Needs a
C compiler (`cc`); without one, or with CONSENTDESK_BUNDLE_OPENCV_VIDEO=1, OpenCV's FFmpeg is kept.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

#: The FFmpeg libraries cv2 links to directly, by the prefix of their (hash-suffixed) file names.
FFMPEG = ("avcodec", "avformat", "avutil", "swscale", "swresample", "avdevice", "avfilter")

_C_HEADER = """\
#include <stdio.h>
#include <stdlib.h>

static void missing(const char *name)
{
    fprintf(stderr, "ConsentDesk: OpenCV's video support (%s) is not part of this bundle\\n", name);
    abort();
}
"""


def wanted() -> bool:
    return os.environ.get("CONSENTDESK_BUNDLE_OPENCV_VIDEO") != "1" and shutil.which("cc") is not None


def needed(library: Path) -> list[str]:
    """The libraries `library` links to directly (its DT_NEEDED entries)."""
    out = subprocess.run(["readelf", "-dW", str(library)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _imported_symbols(library: Path) -> dict[str, list[str]]:
    """{version node: [symbol, ...]} of the versioned symbols `library` expects from others."""
    out = subprocess.run(
        ["nm", "-D", "--undefined-only", str(library)], capture_output=True, text=True, check=True
    ).stdout
    by_version: dict[str, list[str]] = defaultdict(list)
    for line in out.splitlines():
        name = line.split()[-1]
        if "@" in name:
            symbol, version = name.split("@", 1)
            by_version[version.lstrip("@")].append(symbol)
    return by_version


def _node_prefix(soname: str) -> str:
    """libavcodec-57aca189.so.62.28.102 -> LIBAVCODEC_ (FFmpeg's symbol version nodes)."""
    stem = soname.split("-")[0].split(".")[0]
    return stem.upper() + "_"


def build_stand_ins(cv2_module: Path, out_dir: Path) -> dict[str, Path]:
    """Compile a stand-in for each FFmpeg library `cv2_module` links to; {soname: stand-in file}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    imported = _imported_symbols(cv2_module)
    built: dict[str, Path] = {}
    for soname in needed(cv2_module):
        if not soname.startswith(tuple(f"lib{name}" for name in FFMPEG)):
            continue
        nodes = {v: sorted(set(s)) for v, s in imported.items() if v.startswith(_node_prefix(soname))}
        if not nodes:
            continue
        source = [_C_HEADER]
        script = []
        for node, symbols in sorted(nodes.items()):
            source += [f'void {s}(void) {{ missing("{s}"); }}' for s in symbols]
            script.append(f"{node} {{ global: {'; '.join(symbols)}; }};")
        script[-1] = script[-1][: -len("};")] + " local: *; };"
        c_file, map_file, target = out_dir / f"{soname}.c", out_dir / f"{soname}.map", out_dir / soname
        c_file.write_text("\n".join(source) + "\n")
        map_file.write_text("\n".join(script) + "\n")
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-O2", "-s", "-o", str(target), str(c_file),
             f"-Wl,-soname,{soname}", f"-Wl,--version-script,{map_file}"],
            check=True,
        )  # fmt: skip
        built[soname] = target
    return built


def replace_ffmpeg(binaries: list[tuple], work_dir: Path) -> list[tuple]:
    """The TOC with cv2's FFmpeg libraries swapped for stand-ins (and FFmpeg's own dependencies then
    left to the orphan sweep)."""
    cv2_module = next((Path(src) for dest, src, _ in binaries if re.match(r"cv2/cv2\..*so$", dest)), None)
    if cv2_module is None:
        return binaries
    stand_ins = build_stand_ins(cv2_module, work_dir / "opencv-without-video")
    swapped = []
    for dest, src, kind in binaries:
        name = Path(dest).name
        if kind != "SYMLINK" and name in stand_ins:
            src = str(stand_ins[name])
        swapped.append((dest, src, kind))
    return swapped
