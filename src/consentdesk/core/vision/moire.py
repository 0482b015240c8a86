"""A display photographed straight on: its pixel grid aliased into stripes along the picture's own axes.

Why: a phone held square to a monitor lines the display's rows and columns of pixels up with its own, so
the camera's sampling (and a later downscale) folds the grid into fine stripes running with the picture's
axes, a period of 2-5 pixels, across and down, even where the display is plain white or plain dark grey.
`screens.pixel_grid` looks only off the axes (a display seen turned) because on the axes lie the
camera's own JPEG blocks and the rows of print; here those are told apart by what they are not:
- JPEG's 8-pixel blocks repeat at exactly k/8 cycles per pixel: those frequencies are not counted, and a
  peak must stand above its neighbours (a block lattice's leakage never does);
- rows of print and a fence are periodic one way only, and their rows are over 5 pixels apart; a grid is
  periodic both ways, finer than that;
- texture (a wall, foliage, fabric) has broad power, a grid one very sharp line: the strongest stripe
  must stand 40 times above the typical power of its band, the crossing one 12 times;
- a regular pattern the camera resolves (a fly screen, a grille, a weave) is coarser than the band and
  only its harmonics fall in it: a stripe with strong power at a whole fraction of its frequency is one.
Measured on the brightest, most even tiles (a display's plain ground; a printed halftone leaves a page's
white bare), on 1-D profiles (a tile's column and row means), which keep a stripe running the tile's
length and average texture away; the stronger stripe must show in each half of the tile too (a few
letters' strokes on plain white ring through the spectrum of the half they cross only). Two tiles showing
the grid make a display."""

from __future__ import annotations

import numpy as np

STRIPE_TILE = 64  # side of a tile (working pixels): a 512-px phone photo of a screen holds 24 of them
STRIPE_TILES = 8  # the brightest, most even tiles looked at
STRIPE_PEAK = 40.0  # the stronger axis's peak over its band's median power
STRIPE_CROSS = 12.0  # ... and the other axis's
STRIPE_BAND = (0.2, 0.49)  # cycles per pixel: a period of 2-5 pixels
STRIPE_TILES_SHOWING = 2  # tiles with the grid that make a display filling the frame


def even_tiles(grey: np.ndarray, t: int, n: int, floor: float) -> list[np.ndarray]:
    """The `n` brightest, most even t x t tiles in the middle 80 % of `grey`, of those whose brightness
    less twice its unevenness (on a copy reduced to 8 x 8 per tile) is at least `floor`, best first."""
    import cv2

    h, w = grey.shape
    y0, x0 = int(h * 0.1), int(w * 0.1)
    ny, nx = int(h * 0.8) // t, int(w * 0.8) // t
    if ny < 1 or nx < 1:
        return []
    block = grey[y0 : y0 + ny * t, x0 : x0 + nx * t]
    small = cv2.resize(block, (nx * 8, ny * 8), interpolation=cv2.INTER_AREA).astype(np.float32)
    cells = small.reshape(ny, 8, nx, 8)
    score = cells.mean(axis=(1, 3)) - 2 * cells.std(axis=(1, 3))
    out = []
    for k in np.argsort(score, axis=None)[::-1][:n]:
        iy, ix = divmod(int(k), nx)
        if score[iy, ix] >= floor:
            out.append(block[iy * t : (iy + 1) * t, ix * t : (ix + 1) * t])
    return out


def axis_grid(grey: np.ndarray, scale: float = 1.0) -> int:
    """How many of the brightest, most even tiles of `grey` (the working image) show a sharp periodic
    stripe along one of the picture's axes and another across it (see the module's docstring); `scale`
    is working pixels per original pixel (where the original's JPEG blocks fall)."""
    import cv2

    if min(grey.shape) < 2 * STRIPE_TILE:
        return 0
    found = 0
    for tile in even_tiles(grey, STRIPE_TILE, STRIPE_TILES, floor=60):
        f = tile.astype(np.float32)
        fine = f - cv2.GaussianBlur(f, (0, 0), 2)  # the grid's stripes, not the page's layout
        across, down = _stripe(fine.mean(axis=0), scale), _stripe(fine.mean(axis=1), scale)
        if max(across, down) < STRIPE_PEAK or min(across, down) < STRIPE_CROSS:
            continue
        # the stronger stripe runs the tile's whole length: seen in each half, not made by a few strokes
        # (a plate's letters on plain white ring through the spectrum of the one half they cross)
        axis = 0 if across >= down else 1
        found += all(
            _stripe(half.mean(axis=axis), scale) >= STRIPE_PEAK for half in np.array_split(fine, 2, axis=axis)
        )
    return found


def _stripe(profile: np.ndarray, scale: float) -> float:
    """The sharpest peak of `profile`'s power in STRIPE_BAND, over the median power from 0.1 cycles per
    pixel up; only peaks above both neighbours and off the JPEG block lattice count."""
    import cv2

    t = len(profile)
    # OpenCV's DFT, not numpy.fft: the app bundle leaves numpy.fft out (build.spec), as screens.py does
    spec = cv2.dft((profile * np.hanning(t)).astype(np.float64).reshape(1, -1), flags=cv2.DFT_COMPLEX_OUTPUT)
    power = (spec[0, : t // 2 + 1] ** 2).sum(axis=1)
    k = np.arange(len(power))
    freq = k / t
    step = t * scale / 8  # the original's 8-pixel blocks, in frequency bins
    on_lattice = np.abs(k / step - np.round(k / step)) * step < 0.5 if step >= 4 else np.zeros(len(k), bool)
    above = power > np.maximum(np.r_[power[1:], 0.0], np.r_[0.0, power[:-1]])
    ok = (freq >= STRIPE_BAND[0]) & (freq < STRIPE_BAND[1]) & above & ~on_lattice
    if not ok.any():
        return 0.0
    peak = int(np.flatnonzero(ok)[np.argmax(power[ok])])
    if _harmonic(power, peak):
        return 0.0
    typical = float(np.median(power[(freq >= 0.1) & (freq < STRIPE_BAND[1])])) + 1e-6
    return float(power[peak] / typical)


def _harmonic(power: np.ndarray, peak: int) -> bool:
    """Whether the peak at bin `peak` is a harmonic of a coarser pattern: at 1/2 to 1/6 of its frequency
    lies at least half its power.

    Why: a pattern the camera resolves (a fly screen, a grille, a woven fabric, rows of print) is coarser
    than the band, and its sharp bars put their harmonics into it; a display's aliased grid is one fine
    stripe with nothing coarser under it (on our photos at most an eighth of its power)."""
    for m in range(2, 7):
        j = peak / m
        if j < 2:
            break
        if float(power[int(np.floor(j)) : int(np.ceil(j)) + 1].max()) >= 0.5 * float(power[peak]):
            return True
    return False
