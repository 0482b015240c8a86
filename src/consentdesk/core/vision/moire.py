"""A display's pixel grid, aliased by the camera into moiré: seen turned (`pixel_grid`, a peak off the
picture's axes) or photographed straight on (`axis_grid`, stripes along the picture's own axes).

Why straight on: a phone held square to a monitor lines the display's rows and columns of pixels up with its own, so
the camera's sampling (and a later downscale) folds the grid into fine stripes running with the picture's
axes, a period of 2-5 pixels, across and down, even where the display is plain white or plain dark grey.
`pixel_grid` (below) looks only off the axes (a display seen turned) because on the axes lie the
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
the grid make a display. In a colour picture either rule counts a tile only when its fine detail carries
colour (`fringed`): a display's grid is of red, green and blue sub-pixels, a mesh or grille of one material."""

from __future__ import annotations

import numpy as np

STRIPE_TILE = 64  # side of a tile (working pixels): a 512-px phone photo of a screen holds 24 of them
STRIPE_TILES = 8  # the brightest, most even tiles looked at
STRIPE_PEAK = 40.0  # the stronger axis's peak over its band's median power
STRIPE_CROSS = 12.0  # ... and the other axis's
STRIPE_BAND = (0.2, 0.49)  # cycles per pixel: a period of 2-5 pixels
STRIPE_TILES_SHOWING = 2  # tiles with the grid that make a display filling the frame


def even_corners(grey: np.ndarray, t: int, n: int, floor: float) -> list[tuple[int, int]]:
    """The top-left corners (y, x) of the `n` brightest, most even t x t tiles in the middle 80 % of `grey`,
    of those whose brightness less twice its unevenness (on a copy reduced to 8 x 8 per tile) is at least
    `floor`, best first."""
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
            out.append((y0 + iy * t, x0 + ix * t))
    return out


#: a tile's fine colour detail over its fine brightness detail below which it is grey: no display's coloured
#: sub-pixels made its pattern (see `fringed`)
FRINGE_MIN = 0.02


def fringed(rgb: np.ndarray | None, grey_tile: np.ndarray, corner: tuple[int, int]) -> bool:
    """Whether the tile of `rgb` at `corner` (the size of `grey_tile`) carries colour in its fine detail, as
    a display's moiré does; True when there is no colour picture to look at.

    Why: a display's pixel grid is made of red, green and blue sub-pixels, and the moiré the camera folds it
    into carries colour fringes; a wire mesh, a perforated grille, a weave is one material's colour (and a
    greyscale photo has no colour at all), however sharp and periodic its pattern. On our photos the fine
    colour detail of a display's moiré tiles is 3.2-58 % of their fine brightness detail, of two grey
    close-ups of a mesh and a grille 1.0-1.4 % (JPEG and PNG noise): 2.3x apart, 2 % between."""
    import cv2

    if rgb is None or rgb.ndim != 3:
        return True
    (y, x), (th, tw) = corner, grey_tile.shape
    c = rgb[y : y + th, x : x + tw].astype(np.float32)
    # two colour-difference planes (red-green, blue-yellow) and the brightness, each less its blur
    planes = (c[..., 0] - c[..., 1], c[..., 2] - (c[..., 0] + c[..., 1]) / 2, grey_tile.astype(np.float32))
    red_green, blue_yellow, bright = (float((p - cv2.GaussianBlur(p, (0, 0), 2)).std()) for p in planes)
    return float(np.hypot(red_green, blue_yellow)) >= FRINGE_MIN * bright + 1e-6


def axis_grid(grey: np.ndarray, scale: float = 1.0, rgb: np.ndarray | None = None) -> int:
    """How many of the brightest, most even tiles of `grey` (the working image) show a sharp periodic
    stripe along one of the picture's axes and another across it (see the module's docstring); `scale`
    is working pixels per original pixel (where the original's JPEG blocks fall); with `rgb` (the same
    picture in colour) a tile counts only when its pattern carries colour (`fringed`)."""
    import cv2

    if min(grey.shape) < 2 * STRIPE_TILE:
        return 0
    found = 0
    for corner in even_corners(grey, STRIPE_TILE, STRIPE_TILES, floor=60):
        tile = grey[corner[0] : corner[0] + STRIPE_TILE, corner[1] : corner[1] + STRIPE_TILE]
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
        ) and fringed(rgb, tile, corner)
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


#: side of the square tiles searched for a display's pixel grid (working pixels), and how many are looked at
GRID_TILE = 128
GRID_TILES = 4


def pixel_grid(grey: np.ndarray, scale: float = 1.0, rgb: np.ndarray | None = None) -> int:
    """How many of the brightest, most even tiles in the middle of `grey` (the working image) show a sharp
    periodic peak off the picture's axes: 3 or more is a display filling the frame.

    Why: a display photographed close up lays its pixel grid over everything it shows, and the camera's
    own sampling turns that grid into moiré, a strong periodic pattern even where the display is plain
    white. A page, a wall or a sky is plain there, and the regular patterns a camera adds itself (JPEG's
    8-pixel blocks, resampled; the sensor's) lie on the picture's axes, as do the rows of print. Only the
    brightest, most even tiles are measured: a display's white still carries the grid, while a printed
    halftone leaves the paper's white bare and a fence or a brick wall is not even. `scale` is working
    pixels per original pixel: the original's JPEG blocks repeat every 8 / `scale` working pixels, and
    the frequencies of that lattice are not counted. With `rgb` (the same picture in colour) a tile counts
    only when its pattern carries colour (`fringed`): a grey mesh or grille is not a display's grid."""
    if min(grey.shape) < 2 * GRID_TILE:
        return 0
    # below 100 (brightness less twice the unevenness) a tile is a dark corner, not a lit display's content
    found = 0
    for y, x in even_corners(grey, GRID_TILE, GRID_TILES, floor=100):
        tile = grey[y : y + GRID_TILE, x : x + GRID_TILE]
        found += _off_axis_peak(tile, scale) >= 40 and fringed(rgb, tile, (y, x))
    return found


def _grid_tables(t: int, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hann window, ring index of each frequency bin, the band searched (0.12-0.5 cycles per pixel, 4 bins
    off the axes, away from the JPEG block lattice) and the ring sizes, for a t x t tile."""
    yy, xx = np.mgrid[:t, :t]
    fy, fx = np.minimum(yy, t - yy), np.minimum(xx, t - xx)
    ring = np.round(np.hypot(fx, fy)).astype(int)
    step = t * scale / 8 / 2  # the 8-pixel blocks and the 16-pixel colour blocks, in frequency bins
    off_lattice = (np.abs(fx / step - np.round(fx / step)) * step > 1.5) | (
        np.abs(fy / step - np.round(fy / step)) * step > 1.5
    )
    if step < 4:  # blocks that small were averaged away when the working image was decoded
        off_lattice[:] = True
    band = (ring > 0.12 * t) & (ring < 0.5 * t) & (fx >= 4) & (fy >= 4) & off_lattice
    win = np.outer(np.hanning(t), np.hanning(t)).astype(np.float32)
    return win, ring.ravel(), band, np.maximum(1, np.bincount(ring.ravel()))


_TABLES: dict[tuple[int, float], tuple] = {}


def _off_axis_peak(tile: np.ndarray, scale: float = 1.0) -> float:
    """The strongest frequency off the axes, over the mean power at its distance from the centre (a white
    noise's peak is ~10; a pixel grid's moiré 40-120), when another of at least 0.4 of its strength lies
    more than 20 degrees away from its direction (a grid, not parallel lines); else 0."""
    import cv2

    t = tile.shape[0]
    key = (t, round(scale, 3))
    if key not in _TABLES:
        _TABLES.clear() if len(_TABLES) > 16 else None
        _TABLES[key] = _grid_tables(t, key[1])
    win, ring, band, sizes = _TABLES[key]
    f = tile.astype(np.float32)
    spec = cv2.dft((f - f.mean()) * win, flags=cv2.DFT_COMPLEX_OUTPUT)
    power = (spec[..., 0] ** 2 + spec[..., 1] ** 2).ravel()
    mean = np.bincount(ring, power) / sizes
    whitened = np.where(band.ravel(), power / (mean[ring] + 1e-6), 0.0)
    top = int(np.argmax(whitened))
    # a grid has peaks in two directions; parallel lines (ruled print, stripes, a fence) in one only
    strong = np.flatnonzero(whitened >= 0.4 * whitened[top])
    freqs = _frequency(power.reshape(t, t), strong)
    peak = _frequency(power.reshape(t, t), np.array([top]))[0]
    apart = np.abs((np.degrees(np.arctan2(freqs[:, 1], freqs[:, 0]) - np.arctan2(peak[1], peak[0])) + 90) % 180 - 90)
    across = freqs[apart > 20]
    if not len(across):
        return 0.0
    # ... and sharp parallel lines sampled by the pixels give peaks all around, yet every one a harmonic
    # of the lines' own frequency folded back into the band: a grid's second direction is not
    fundamental = _lines_fundamental(power.reshape(t, t), ring.reshape(t, t), peak)
    if fundamental is not None and all(_is_harmonic(q, fundamental, t) for q in across):
        return 0.0
    return float(whitened[top])


def _frequency(power: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """(fx, fy) of each flat index in `bins` of the t x t `power`, refined by the centroid of its 3 x 3."""
    t = power.shape[0]
    fy, fx = np.divmod(bins, t)
    off = np.arange(-1, 2)
    ys, xs = (fy[:, None] + off) % t, (fx[:, None] + off) % t
    near = power[ys[:, :, None], xs[:, None, :]] + 1e-9  # n x 3 x 3
    near = near / near.sum(axis=(1, 2), keepdims=True)
    dy, dx = near.sum(axis=2) @ off, near.sum(axis=1) @ off
    fy, fx = np.where(fy > t // 2, fy - t, fy), np.where(fx > t // 2, fx - t, fx)
    return np.stack([fx + dx, fy + dy], axis=1)


def _wrap(d: np.ndarray, t: int) -> np.ndarray:
    return (d + t / 2) % t - t / 2


def _lines_fundamental(power: np.ndarray, ring: np.ndarray, peak: np.ndarray) -> np.ndarray | None:
    """The frequency of the strongest low pattern (rows of print, ruled lines) when `peak` is one of its
    harmonics, folded back by the sampling, and refined from it; else None."""
    t = power.shape[0]
    low = np.where((ring >= 2) & (ring < 0.12 * t), power, 0.0)
    base = _frequency(power, np.array([int(np.argmax(low))]))[0]
    m = np.arange(1, 65)[:, None]
    miss = np.hypot(*_wrap(m * base - peak, t).T)
    k = int(np.argmin(miss - 0.3 * m[:, 0]))
    if miss[k] > 0.5 + 0.3 * (k + 1):
        return None
    return (peak + np.round((m[k] * base - peak) / t) * t) / (k + 1)


def _is_harmonic(q: np.ndarray, base: np.ndarray, t: int) -> bool:
    n = np.arange(1, 65)[:, None]
    return bool(min(np.hypot(*_wrap(n * base - q, t).T).min(), np.hypot(*_wrap(n * base + q, t).T).min()) <= 0.75)
