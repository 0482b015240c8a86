"""Ship OpenCV without its video and AVIF libraries: stand-ins for what the Linux cv2 module links to.

Why: the opencv-python wheels link cv2 itself to their own FFmpeg (libavcodec, libavformat, libavutil,
libswscale and, through them, libvpx, libdav1d, libswresample, OpenSSL 1.1) and to libavif (with the AV1
encoder libaom): about 40 MB of a bundle whose video is read and written with PyAV, never with
cv2.VideoCapture or cv2.VideoWriter, and whose photos are decoded by Pillow, never by cv2.imread. No
OpenCV wheel without them exists (opencv/opencv-python#353) and building OpenCV does not fit in CI. So the
build replaces each with a tiny library of the same name defining the symbols cv2 takes from it (with
their version nodes): cv2 loads as before and everything else in OpenCV works unchanged. Should anything
in the bundle ever call into cv2's video or AVIF support, the stand-in says so on stderr and stops the
program rather than pretend (tests/bundle/test_opencv_calls.py keeps those calls out of the code).

The symbols are read from the cv2 module and the real libraries being bundled, so a new OpenCV needs no
change here. Needs a C compiler (`cc`); without one, or with CONSENTDESK_BUNDLE_OPENCV_VIDEO=1, the real
libraries are kept (a bigger bundle, nothing else changes).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

#: Libraries cv2 links to that the app never calls, by the start of their (hash-suffixed) file names.
REPLACED = ("libavcodec", "libavformat", "libavutil", "libswscale", "libswresample", "libavdevice",
            "libavfilter", "libavif")  # fmt: skip

_C_HEADER = """\
#include <stdio.h>
#include <stdlib.h>

static void missing(const char *name)
{
    fprintf(stderr, "ConsentDesk: OpenCV's video and AVIF support (%s) is not part of this bundle\\n", name);
    abort();
}
"""


def wanted() -> bool:
    return os.environ.get("CONSENTDESK_BUNDLE_OPENCV_VIDEO") != "1" and shutil.which("cc") is not None


def needed(library: Path) -> list[str]:
    """The libraries `library` links to directly (its DT_NEEDED entries)."""
    out = subprocess.run(["readelf", "-dW", str(library)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _dynamic_symbols(library: Path, undefined: bool) -> set[str]:
    """Dynamic symbols as `name` or `name@VERSION`, the ones `library` takes or the ones it gives."""
    flag = "--undefined-only" if undefined else "--defined-only"
    out = subprocess.run(["nm", "-D", flag, str(library)], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1].replace("@@", "@") for line in out.splitlines() if line.split()}


def _stand_in(soname: str, symbols: set[str], out_dir: Path) -> Path:
    by_version: dict[str, list[str]] = {}
    for symbol in sorted(symbols):
        name, _, version = symbol.partition("@")
        by_version.setdefault(version, []).append(name)
    source = [_C_HEADER]
    script = []
    for version, names in sorted(by_version.items()):
        source += [f'void {n}(void) {{ missing("{n}"); }}' for n in names]
        script.append(f"{version} {{ global: {'; '.join(names)}; }};".strip())
    script[-1] = script[-1][: -len("};")] + " local: *; };"
    c_file, map_file, target = out_dir / f"{soname}.c", out_dir / f"{soname}.map", out_dir / soname
    c_file.write_text("\n".join(source) + "\n")
    map_file.write_text("\n".join(script) + "\n")
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-O2", "-s", "-o", str(target), str(c_file),
         f"-Wl,-soname,{soname}", f"-Wl,--version-script,{map_file}"],
        check=True,
    )  # fmt: skip
    return target


def build_stand_ins(cv2_module: Path, libraries: dict[str, Path], out_dir: Path) -> dict[str, Path]:
    """A stand-in for each replaced library cv2 links to, defining what cv2 takes from the real one
    (`libraries`: file name -> the real file); returns {file name: stand-in}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    takes = _dynamic_symbols(cv2_module, undefined=True)
    built = {}
    for soname in needed(cv2_module):
        if soname.startswith(REPLACED) and soname in libraries:
            symbols = takes & _dynamic_symbols(libraries[soname], undefined=False)
            if symbols:
                built[soname] = _stand_in(soname, symbols, out_dir)
    return built


def replace_libraries(binaries: list[tuple], work_dir: Path) -> list[tuple]:
    """The TOC with cv2's video and AVIF libraries swapped for stand-ins (the libraries only they linked
    to are then left to the build's sweep of orphaned libraries)."""
    cv2_module = next((Path(src) for dest, src, _ in binaries if re.match(r"cv2/cv2\..*so$", dest)), None)
    if cv2_module is None:
        return binaries
    libraries = {Path(dest).name: Path(src) for dest, src, kind in binaries if kind != "SYMLINK"}
    stand_ins = build_stand_ins(cv2_module, libraries, work_dir / "opencv-without-video")
    return [
        (dest, str(stand_ins[Path(dest).name]) if kind != "SYMLINK" and Path(dest).name in stand_ins else src, kind)
        for dest, src, kind in binaries
    ]
