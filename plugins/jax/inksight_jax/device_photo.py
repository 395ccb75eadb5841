"""Paint the synthetic word photos on the accelerator, so the data workers only make the ink.

The data workers' time goes mostly into painting each crop's photo (paper,
ruling, ink, light, blur, noise, JPEG; :func:`inksight_sdk.synth.paint_photo`,
about half of it) and little of it into what the model must learn to
output. With ``DataSpec(photos="device")`` the workers stop after placing the
ink on the canvas (:meth:`~inksight_sdk.synth.CanvasInk.segments`) and this
module paints the photo inside the training step's process, on the GPU,
with a fresh draw of every appearance setting each time a word is used: a
word echoed over several steps (``echo``) is seen under different paper,
ink colour, ruling, light, blur, noise and JPEG quality each time, not as
the same image again.

It follows ``paint_photo`` step by step with the same distributions
(:func:`sample_looks` mirrors :func:`inksight_sdk.synth.sample_photo`),
written as array programs of fixed shape: the pen is a box filter of the
distance to the segments, evaluated per tile of 8x8 pixels on the 160
segments nearest to it (elementwise arithmetic and a max, no scatter);
ruling is the distance to a periodic family of lines; loss of resolution and blur are matrices (area down, linear up,
Gaussian with reflected borders, as OpenCV's ``INTER_AREA``,
``INTER_LINEAR`` and ``GaussianBlur`` compute them); JPEG is the codec's
lossy part (YCbCr, 4:2:0 chroma, 8x8 DCT, the standard tables scaled by
quality as libjpeg does, rounding). What is drawn from the CPU sampler's
stream: the word, its crop, pen width, rotation and neighbours (they decide
the target). ``tests/plugins/jax/test_device_photo.py`` checks each part
against OpenCV, and the whole against ``paint_photo``: with the same
settings, and in distribution.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from inksight_sdk.evaluation.render import over  # plain arithmetic: works on JAX arrays too
from inksight_sdk.synth.photo import INK_COLOURS, INK_WEIGHTS, PAPER_COLOURS, PAPER_WEIGHTS

__all__ = ["render_photos", "sample_looks", "jpeg_round_trip", "resample_matrix", "blur_matrix"]

Array = Any

_TILE = 8
"""The pen is drawn per square tile of this many pixels."""
_PER_TILE = 160
"""Segments each tile looks at, the nearest first (the most any tile of 300 training words touched: 163)."""

_SUPERSAMPLING = 4
"""``paint_photo`` draws pen widths in whole quarter pixels."""
_AA_WIDENING = 0.45
"""Pixels OpenCV's anti-aliased thick lines come out wider than their thickness at 4x supersampling
(measured on 60 words: the ink's area then agrees to 0.8 % on average, 6 % at worst)."""

_INK_NAMES = list(INK_COLOURS)
_PAPER_NAMES = list(PAPER_COLOURS)
_INK_RGB = np.array([INK_COLOURS[n] for n in _INK_NAMES], np.float32)
_INK_P = np.array([INK_WEIGHTS[n] for n in _INK_NAMES], np.float32)
_PAPER_RGB = np.array([PAPER_COLOURS[n] for n in _PAPER_NAMES], np.float32)
_PAPER_P = np.array([PAPER_WEIGHTS[n] for n in _PAPER_NAMES], np.float32)
_PENCIL = _INK_NAMES.index("pencil")

# ITU-T T.81 Annex K, the tables every baseline JPEG encoder scales
_LUMA_Q = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    np.float32,
)
_CHROMA_Q = np.full((8, 8), 99, np.float32)
_CHROMA_Q[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]


def _dct_matrix() -> np.ndarray:
    k, n = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    m = np.cos((2 * n + 1) * k * np.pi / 16) * np.sqrt(2 / 8)
    m[0] /= np.sqrt(2)
    return m.astype(np.float32)


_DCT = _dct_matrix()


# ----------------------------------------------------------------------------- what each photo looks like


def sample_looks(key: Array, batch: int) -> dict[str, Array]:
    """Per example, the appearance settings of :func:`~inksight_sdk.synth.sample_photo` and ``paint_photo``."""
    k = iter(jax.random.split(key, 32))

    def u(lo: float, hi: float) -> Array:
        return jax.random.uniform(next(k), (batch,), minval=lo, maxval=hi)

    def chance(p: float) -> Array:
        return jax.random.uniform(next(k), (batch,)) < p

    ruling = jax.random.categorical(next(k), jnp.log(jnp.array([0.45, 0.45, 0.1])), shape=(batch,))
    ink = jax.random.categorical(next(k), jnp.log(_INK_P), shape=(batch,))
    paper = jax.random.categorical(next(k), jnp.log(_PAPER_P), shape=(batch,))
    return {
        "paper_rgb": jnp.asarray(_PAPER_RGB)[paper] + 4.0 * jax.random.normal(next(k), (batch, 3)),
        "texture": jnp.stack([u(1.0, 4.0), u(0.5, 2.5)], axis=1),
        "ruling": ruling,  # 0 none, 1 lines, 2 grid
        "rule_spacing": jnp.where(ruling == 1, u(1.6, 2.6), u(0.7, 1.2)),
        "rule_offset": u(-0.05, 0.25),
        "rule_alpha": u(0.25, 0.8),
        "rule_rgb": jnp.where(chance(0.75)[:, None], jnp.array([130.0, 170, 205]), jnp.array([150.0, 150, 150])),
        "margin_line": jnp.where(chance(0.12), u(-1.0, 0.5), jnp.nan),
        "ink": ink,
        "ink_rgb": jnp.asarray(_INK_RGB)[ink] + 6.0 * jax.random.normal(next(k), (batch, 3)),
        "ink_density": u(0.78, 0.97),
        "grain": u(0.0, 0.15),
        "exposure": u(0.68, 1.04),
        "gradient": u(0.0, 0.25),
        "shadow": jnp.where(chance(0.25), u(0.1, 0.35), 0.0),
        "blur": u(0.2, 1.3),
        "downscale": jnp.where(chance(0.4), u(0.3, 0.85), 1.0),
        "noise": u(0.5, 7.0),
        "jpeg": jnp.where(chance(0.85), jnp.floor(u(30.0, 96.0)), 0.0),  # 0: no JPEG
    }


# ----------------------------------------------------------------------------- drawing


def _band(distance: Array, width: Array) -> Array:
    """Share of a pixel covered by a band ``width`` wide at ``distance`` from its middle (a box filter)."""
    return jnp.clip(jnp.minimum(distance + 0.5, width / 2) - jnp.maximum(distance - 0.5, -width / 2), 0.0, 1.0)


def _segment_distance(px: Array, py: Array, ax: Array, ay: Array, bx: Array, by: Array) -> Array:
    """Distance from points ``(px, py)`` to segments ``a``-``b`` (all broadcast; coordinates apart, so that
    the whole computation stays elementwise and fuses into the reduction that follows)."""
    dx, dy = bx - ax, by - ay
    t = jnp.clip(((px - ax) * dx + (py - ay) * dy) / jnp.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    ox, oy = px - (ax + t * dx), py - (ay + t * dy)
    return jnp.sqrt(ox * ox + oy * oy)


def _pen_coverage(segments: Array, widths: Array, size: int) -> Array:
    """``(size, size)`` ink coverage of one word's segments: per pixel, the most any nearby segment covers.

    The canvas is cut into tiles of ``_TILE`` pixels; each tile takes the
    ``_PER_TILE`` segments nearest to its centre (less their half width)
    and evaluates them on its pixels. Elementwise arithmetic and a max, no
    scatter: predictable on a GPU. 99 % of training words touch no tile
    with more than 141 segments (8 px tiles, 300 words measured).
    """
    drawn = jnp.maximum(1.0, jnp.round(widths * _SUPERSAMPLING)) / _SUPERSAMPLING  # paint_photo's quarter pixels
    width = jnp.where(widths > 0, drawn + _AA_WIDENING, 0.0)
    ax, ay, bx, by = segments[:, 0], segments[:, 1], segments[:, 2], segments[:, 3]
    n = size // _TILE
    tx, ty = jnp.meshgrid(jnp.arange(n, dtype=jnp.float32) * _TILE, jnp.arange(n, dtype=jnp.float32) * _TILE)
    tx, ty = tx.reshape(-1, 1), ty.reshape(-1, 1)  # (tiles, 1): each tile's first pixel
    centre = (_TILE - 1) / 2
    reach = _segment_distance(tx + centre, ty + centre, ax, ay, bx, by) - width / 2  # (tiles, segments)
    _, near = jax.lax.top_k(-jnp.where(widths > 0, reach, jnp.inf), _PER_TILE)  # (tiles, k)
    ox, oy = jnp.meshgrid(jnp.arange(_TILE, dtype=jnp.float32), jnp.arange(_TILE, dtype=jnp.float32))
    px, py = (tx + ox.reshape(1, -1))[:, :, None], (ty + oy.reshape(1, -1))[:, :, None]  # (tiles, pixels, 1)
    dist = _segment_distance(px, py, ax[near][:, None], ay[near][:, None], bx[near][:, None], by[near][:, None])
    cover = _band(dist, width[near][:, None, :]).max(axis=-1)  # (tiles, pixels); width 0 (unused rows): no ink
    return cover.reshape(n, n, _TILE, _TILE).transpose(0, 2, 1, 3).reshape(size, size)


def _smooth_noise(key: Array, size: int, cell: int) -> Array:
    n = max(2, size // cell + 2)
    return jax.image.resize(jax.random.normal(key, (n, n)), (size, size), method="cubic")


def _line_family(coord_em: Array, scale: Array, spacing: Array, offset: Array, thickness: Array) -> Array:
    """Coverage of lines at ``offset + k * spacing`` em, given each pixel's coordinate across them in em."""
    phase = jnp.mod(coord_em - offset, spacing)
    distance = jnp.minimum(phase, spacing - phase) * scale
    return _band(distance, thickness)


def resample_matrix(size: int, factor: Array) -> Array:
    """``(size, size)`` matrix of shrinking a side to ``round(size * factor)`` pixels (area) and back (linear).

    ``factor`` 1 gives the identity. Applied as ``M @ image @ M.T``.
    """
    n = jnp.maximum(16.0, jnp.round(size * factor))
    ratio = size / n
    i = jnp.arange(size, dtype=jnp.float32)
    lo, hi = i[:, None] * ratio, (i[:, None] + 1) * ratio
    area = jnp.clip(jnp.minimum(i[None, :] + 1, hi) - jnp.maximum(i[None, :], lo), 0.0, None) / ratio
    area = jnp.where(i[:, None] < n, area, 0.0)
    src = jnp.clip((i + 0.5) * n / size - 0.5, 0.0, None)
    left = jnp.floor(src)
    frac = src - left
    right = jnp.minimum(left + 1, n - 1)
    up = jax.nn.one_hot(left.astype(jnp.int32), size) * (1 - frac)[:, None]
    up = up + jax.nn.one_hot(right.astype(jnp.int32), size) * frac[:, None]
    return jnp.where(factor < 1.0, up @ area, jnp.eye(size))


def blur_matrix(size: int, sigma: Array) -> Array:
    """``(size, size)`` matrix of OpenCV's ``GaussianBlur(sigma)`` along one axis (reflect-101 borders)."""
    radius = 8
    ksize = jnp.floor(sigma * 8 + 1 + 0.5)
    half = jnp.floor(jnp.where(jnp.mod(ksize, 2) == 0, ksize + 1, ksize) / 2)
    k = jnp.arange(-radius, radius + 1, dtype=jnp.float32)
    g = jnp.where(jnp.abs(k) <= half, jnp.exp(-(k**2) / (2 * sigma**2)), 0.0)
    g = g / g.sum()
    pos = jnp.arange(size)[:, None] + k.astype(jnp.int32)[None, :]
    pos = jnp.abs(pos)
    pos = jnp.where(pos > size - 1, 2 * (size - 1) - pos, pos)
    m = jnp.einsum("yk,ykx->yx", jnp.broadcast_to(g, pos.shape), jax.nn.one_hot(pos, size))
    return jnp.where(sigma > 0.25, m, jnp.eye(size))


def _quant_table(base: np.ndarray, quality: Array) -> Array:
    scale = jnp.where(quality < 50, 5000.0 / quality, 200.0 - 2.0 * quality)
    return jnp.clip(jnp.floor((base * scale + 50.0) / 100.0), 1.0, 255.0)


def _blocks_round_trip(plane: Array, table: Array) -> Array:
    h, w = plane.shape
    blocks = (plane - 128.0).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    dct = jnp.asarray(_DCT)
    coef = jnp.einsum("ki,abij,lj->abkl", dct, blocks, dct)
    coef = jnp.round(coef / table) * table
    back = jnp.einsum("ki,abkl,lj->abij", dct, coef, dct)
    return back.transpose(0, 2, 1, 3).reshape(h, w) + 128.0


def _upsample_chroma(plane: Array) -> Array:
    """2x along both axes with the triangle filter of libjpeg's "fancy" upsampling."""

    def along(x: Array, axis: int) -> Array:
        before = jnp.concatenate(
            [jax.lax.slice_in_dim(x, 0, 1, axis=axis), jax.lax.slice_in_dim(x, 0, -1, axis=axis)], axis
        )
        after = jnp.concatenate(
            [jax.lax.slice_in_dim(x, 1, None, axis=axis), jax.lax.slice_in_dim(x, -1, None, axis=axis)], axis
        )
        even, odd = 0.75 * x + 0.25 * before, 0.75 * x + 0.25 * after
        stacked = jnp.stack([even, odd], axis=axis + 1)
        shape = list(x.shape)
        shape[axis] *= 2
        return stacked.reshape(shape)

    return along(along(plane, 0), 1)


def jpeg_round_trip(image: Array, quality: Array) -> Array:
    """What JPEG at ``quality`` (1-100) does to an ``(h, w, 3)`` float image (h, w multiples of 16); 0: nothing."""
    rgb = jnp.clip(jnp.round(image), 0.0, 255.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128.0
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128.0
    h, w = y.shape

    def sub(c: Array) -> Array:
        return c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    q = jnp.maximum(quality, 1.0)
    y2 = jnp.clip(jnp.round(_blocks_round_trip(jnp.round(y), _quant_table(_LUMA_Q, q))), 0, 255)
    chroma = _quant_table(_CHROMA_Q, q)
    cb2 = _upsample_chroma(jnp.clip(jnp.round(_blocks_round_trip(jnp.round(sub(cb)), chroma)), 0, 255))
    cr2 = _upsample_chroma(jnp.clip(jnp.round(_blocks_round_trip(jnp.round(sub(cr)), chroma)), 0, 255))
    out = jnp.stack(
        [y2 + 1.402 * (cr2 - 128), y2 - 0.344136 * (cb2 - 128) - 0.714136 * (cr2 - 128), y2 + 1.772 * (cb2 - 128)],
        axis=-1,
    )
    out = jnp.clip(jnp.round(out), 0.0, 255.0)
    return jnp.where(quality > 0, out, image)


def _paint_one(key: Array, looks: dict[str, Array], segments: Array, widths: Array, canvas: Array, size: int) -> Array:
    """One photo: ``paint_photo``'s steps on the accelerator. ``canvas``: em->pixel matrix (6), box left, height."""
    keys = jax.random.split(key, 8)
    coverage = _pen_coverage(segments, widths, size)
    yy, xx = jnp.mgrid[0:size, 0:size].astype(jnp.float32)

    texture = looks["texture"][0] * _smooth_noise(keys[0], size, 24) + looks["texture"][1] * _smooth_noise(
        keys[1], size, 3
    )
    image = looks["paper_rgb"][None, None, :] + texture[..., None]

    m = canvas[:6].reshape(2, 3)
    inv = jnp.linalg.inv(m[:, :2])
    rel_x, rel_y = xx - m[0, 2], yy - m[1, 2]
    x_em = inv[0, 0] * rel_x + inv[0, 1] * rel_y
    y_em = inv[1, 0] * rel_x + inv[1, 1] * rel_y
    scale = jnp.sqrt(jnp.abs(jnp.linalg.det(m[:, :2])))
    thickness = jnp.maximum(0.8, 0.012 * scale)
    spacing = looks["rule_spacing"]
    rules = _line_family(y_em, scale, spacing, looks["rule_offset"], thickness)
    grid = _line_family(x_em, scale, spacing, 0.0, thickness)
    rules = jnp.where(looks["ruling"] == 2, jnp.maximum(rules, grid), rules)
    image = jnp.where(looks["ruling"] > 0, over(image, rules * looks["rule_alpha"], looks["rule_rgb"]), image)
    margin_em = canvas[6] + jnp.nan_to_num(looks["margin_line"]) * canvas[7]
    margin = _band(jnp.abs(x_em - margin_em) * scale, thickness) * 0.7
    image = jnp.where(jnp.isnan(looks["margin_line"]), image, over(image, margin, jnp.array([220.0, 120, 125])))

    grain = 1.0 - looks["grain"] * jnp.clip(_smooth_noise(keys[2], size, 2), 0.0, None)
    pencil = 0.8 + 0.2 * jax.random.uniform(keys[3], (size, size))
    grain = jnp.where(looks["ink"] == _PENCIL, grain * pencil, grain)
    alpha = jnp.clip(coverage * looks["ink_density"] * grain, 0.0, 1.0)
    image = over(image, alpha, jnp.clip(looks["ink_rgb"], 0, 255))

    u, v = xx / (size - 1) - 0.5, yy / (size - 1) - 0.5
    light_k = jax.random.uniform(keys[4], (6,))
    theta, phi = light_k[0] * 2 * jnp.pi, light_k[2] * 2 * jnp.pi
    light = looks["exposure"] + looks["gradient"] * (u * jnp.cos(theta) + v * jnp.sin(theta))
    light = light - 0.25 * light_k[1] * (u**2 + v**2)
    side = u * jnp.cos(phi) + v * jnp.sin(phi) - (-0.3 + 0.7 * light_k[3])
    light = light - looks["shadow"] / (1.0 + jnp.exp(-side / (0.03 + 0.09 * light_k[4])))
    image = image * jnp.clip(light, 0.3, 1.1)[..., None]

    optics = blur_matrix(size, looks["blur"]) @ resample_matrix(size, looks["downscale"])
    image = jnp.einsum("yi,ijc,xj->yxc", optics, image, optics)
    image = image + looks["noise"] * jax.random.normal(keys[5], image.shape)
    image = jpeg_round_trip(image, looks["jpeg"])
    return jnp.clip(jnp.round(image), 0, 255).astype(jnp.uint8)


def render_photos(key: Array, segments: Array, widths: Array, canvas: Array, size: int = 224) -> Array:
    """``(b, size, size, 3) uint8`` photos of a batch of placed words (the arrays ``DataSpec(photos="device")`` makes).

    ``segments`` ``(b, n, 4)`` and ``widths`` ``(b, n)`` from
    :meth:`~inksight_sdk.synth.CanvasInk.segments`; ``canvas`` ``(b, 8)``
    from :meth:`~inksight_sdk.synth.CanvasInk.frame`.
    Deterministic given ``key``; examples are painted a few at a time to
    bound memory.
    """
    batch = segments.shape[0]
    looks = sample_looks(jax.random.fold_in(key, 0), batch)
    keys = jax.random.split(jax.random.fold_in(key, 1), batch)

    def one(args: tuple[Array, ...]) -> Array:
        k, lk, s, w, c = args
        return _paint_one(k, lk, s, w, c, size)

    return jax.lax.map(one, (keys, looks, segments, widths, canvas), batch_size=min(batch, 16))
