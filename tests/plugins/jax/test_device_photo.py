"""Photos painted on the accelerator (inksight_jax.device_photo): each step against OpenCV, the whole against
``paint_photo``, and training with ``photos="device"`` (the same targets; an echoed word gets a new photo)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("flax")
pytest.importorskip("optax")
pytest.importorskip("HersheyFonts")

import jax.numpy as jnp  # noqa: E402
from inksight_jax.data import SEGMENT_CAPACITY, DataSpec, build_batch  # noqa: E402
from inksight_jax.device_photo import (  # noqa: E402
    _paint_one,
    _pen_coverage,
    blur_matrix,
    jpeg_round_trip,
    render_photos,
    resample_matrix,
)
from inksight_jax.training import ResumeMismatchError, TrainOptions, train  # noqa: E402

from inksight_sdk.evaluation.render import jpeg  # noqa: E402
from inksight_sdk.synth import PhotoParams, SyntheticWords, paint_photo  # noqa: E402
from inksight_sdk.synth.photo import _SS, INK_COLOURS, PAPER_COLOURS, _draw_ink  # noqa: E402

pytestmark = pytest.mark.jax

N = 16


@pytest.fixture(scope="module")
def words():
    return SyntheticWords(21, neighbour_words=True)


@pytest.fixture(scope="module")
def placed(words):
    return [words.placed(i)[2] for i in range(N)]


@pytest.fixture(scope="module")
def painted(placed):
    segments, widths = zip(*(ink.segments(2048) for ink in placed))
    frames = np.stack([ink.frame() for ink in placed])
    paint = jax.jit(render_photos)
    args = (np.stack(segments), np.stack(widths), frames)
    return np.asarray(paint(jax.random.key(0), *args)), np.asarray(paint(jax.random.key(1), *args)), args


def _apply(matrix: np.ndarray, image: np.ndarray) -> np.ndarray:
    return np.einsum("yi,ijc,xj->yxc", np.asarray(matrix), image, np.asarray(matrix), optimize=True)


def test_loss_of_resolution_is_opencvs_area_then_linear_resize(words):
    image = words[0].image.astype(np.float32)
    matrix = jax.jit(lambda f: resample_matrix(224, f))
    for factor in (0.3, 0.55, 0.85):
        side = max(16, int(round(224 * factor)))
        small = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
        expected = cv2.resize(small, (224, 224), interpolation=cv2.INTER_LINEAR)
        assert np.abs(_apply(matrix(jnp.float32(factor)), image) - expected).max() < 0.01
    assert np.array_equal(np.asarray(matrix(jnp.float32(1.0))), np.eye(224))


def test_blur_is_opencvs_gaussian_blur(words):
    image = words[1].image.astype(np.float32)
    matrix = jax.jit(lambda s: blur_matrix(224, s))
    for sigma in (0.3, 0.7, 1.29):
        expected = cv2.GaussianBlur(image, (0, 0), sigma)
        assert np.abs(_apply(matrix(jnp.float32(sigma)), image) - expected).max() < 0.01


def _luma_chroma(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_RGB2YCrCb).astype(np.float64)


def test_jpeg_does_what_the_codec_does(words):
    image = words[2].image.astype(np.float32)
    round_trip = jax.jit(jpeg_round_trip)
    for quality in (30, 60, 90):
        codec = _luma_chroma(jpeg(image, quality))
        ours = _luma_chroma(np.asarray(round_trip(jnp.asarray(image), jnp.float32(quality))))
        untouched = _luma_chroma(image)
        luma, chroma = np.abs(ours - codec).mean(axis=(0, 1))[0], np.abs(ours - codec).mean(axis=(0, 1))[1:]
        assert luma < 0.05, quality
        if quality <= 60:  # the codec's loss is there: ours lies far closer to its output than the input does
            assert luma < 0.2 * np.abs(untouched - codec)[..., 0].mean(), quality
        assert (chroma < 1.0).all(), quality  # the codec rounds its colour planes in integers; close, not equal
    assert np.array_equal(np.asarray(round_trip(jnp.asarray(image), jnp.float32(0))), image)


def test_pen_covers_what_paint_photo_draws(placed):
    paint = jax.jit(lambda s, w: _pen_coverage(s, w, 224))
    for ink in placed[:8]:
        big = np.zeros((224 * _SS, 224 * _SS), np.uint8)
        _draw_ink(big, ink.strokes, ink.widths)
        _draw_ink(big, ink.context, ink.context_widths)
        expected = cv2.resize(big, (224, 224), interpolation=cv2.INTER_AREA) / 255.0
        ours = np.asarray(paint(*ink.segments(2048)))
        assert abs(ours.sum() - expected.sum()) < 0.08 * expected.sum()
        assert np.abs(ours - expected).sum() < 0.1 * expected.sum()


def test_segments_are_padded_and_thinned_to_capacity(placed):
    ink = placed[0]
    full, widths = ink.segments(4096)
    used = int((widths > 0).sum())
    assert used > 100 and np.all(widths[used:] == 0)
    # consecutive: each segment starts where the one before ended, within a stroke
    assert np.mean(np.all(full[1:used, :2] == full[: used - 1, 2:], axis=1)) > 0.9
    few, few_widths = ink.segments(used // 3)
    assert (few_widths > 0).sum() <= used // 3 and (few_widths > 0).sum() > used // 8
    # thinned, the word still runs end to end: its first and last points are kept
    assert np.allclose(few[0, :2], full[0, :2])


def test_photos_are_deterministic_and_like_paint_photo(words, placed, painted):
    first, second, args = painted
    again = np.asarray(jax.jit(render_photos)(jax.random.key(0), *args))
    assert first.dtype == np.uint8 and first.shape == (N, 224, 224, 3)
    assert np.array_equal(first, again)
    assert (np.abs(first.astype(int) - second).mean(axis=(1, 2, 3)) > 3).all(), "another key, another photo"
    host = np.stack([words[i].image for i in range(N)])
    for photos in (first, second, host):
        grey = photos.mean(axis=-1)
        for i, ink in enumerate(placed):  # the ink is where the strokes are
            on = np.zeros((224, 224), bool)
            for stroke in ink.strokes:
                p = np.clip(np.rint(stroke).astype(int), 0, 223)
                on[p[:, 1], p[:, 0]] = True
            assert np.median(grey[i][on]) < 0.8 * np.median(grey[i][~on]), i
    # the same distributions: overall brightness and the contrast of ink against paper
    for stat in (np.mean, lambda g: np.percentile(g, 5)):
        ours = np.mean([stat(im.mean(-1)) for im in np.concatenate([first, second])])
        theirs = np.mean([stat(im.mean(-1)) for im in host])
        assert abs(ours - theirs) < 12, (ours, theirs)


def test_the_same_settings_paint_the_same_photo(placed):
    """Settings fixed on both sides (no texture, grain, light, noise or JPEG): the photos agree."""
    looks = {
        "paper_rgb": jnp.array(PAPER_COLOURS["white"], jnp.float32),
        "texture": jnp.zeros(2),
        "ruling": jnp.int32(0),
        "rule_spacing": jnp.float32(1.0),
        "rule_offset": jnp.float32(0.0),
        "rule_alpha": jnp.float32(0.0),
        "rule_rgb": jnp.zeros(3),
        "margin_line": jnp.float32(jnp.nan),
        "ink": jnp.int32(0),
        "ink_rgb": jnp.array(INK_COLOURS["black"], jnp.float32),
        "ink_density": jnp.float32(0.9),
        "grain": jnp.float32(0.0),
        "exposure": jnp.float32(1.0),
        "gradient": jnp.float32(0.0),
        "shadow": jnp.float32(0.0),
        "blur": jnp.float32(0.6),
        "downscale": jnp.float32(1.0),
        "noise": jnp.float32(0.0),
        "jpeg": jnp.float32(0.0),
    }
    params = PhotoParams(
        ink="black", ink_density=0.9, paper="white", exposure=1.0, gradient=0.0, blur=0.6, noise=0.0, jpeg=None
    )
    paint = jax.jit(lambda key, segments, widths, frame: _paint_one(key, looks, segments, widths, frame, 224))
    for i, ink in enumerate(placed[:8]):
        host = paint_photo(ink, np.random.default_rng(i), params).mean(axis=-1)
        ours = np.asarray(paint(jax.random.key(i), *ink.segments(2048), ink.frame())).mean(axis=-1)
        dark_host, dark_ours = host < 120, ours < 120
        assert abs(int(dark_ours.sum()) - int(dark_host.sum())) < 0.05 * dark_host.sum(), i
        assert (dark_host & dark_ours).sum() > 0.9 * dark_host.sum(), i  # in the same places
        assert abs(ours[dark_host].mean() - host[dark_host].mean()) < 12, i  # as dark


def _spec(photos: str, **changes) -> DataSpec:
    return DataSpec(
        seed=3, batch_size=4, max_prompt_len=32, max_target_len=48, fonts=("futural",), photos=photos, **changes
    )


def test_device_batches_carry_the_ink_and_the_same_targets():
    host, device = build_batch(_spec("host"), 2), build_batch(_spec("device"), 2)
    assert "images" in host and "images" not in device
    assert device["ink_segments"].shape == (4, SEGMENT_CAPACITY, 4) and device["ink_frames"].shape == (4, 8)
    for key in ("prompt_ids", "prompt_mask", "decoder_input_ids", "targets"):
        assert np.array_equal(host[key], device[key]), key
    with pytest.raises(ValueError, match="photos must be one of host, device"):
        _spec("gpu")


def test_training_on_device_photos_runs_and_resumes_exactly(model_config, tmp_path):
    def options(out, **changes):
        base = dict(
            config=model_config, out=str(tmp_path / out), steps=3, batch_size=4, max_target_len=48, workers=0,
            log_every=1, warmup_steps=1, learning_rate=3e-3, checkpoint_minutes=None, fonts=("futural",),
            photos="device", echo=2,
        )  # fmt: skip
        base.update(changes)
        return TrainOptions(**base)

    straight = train(options("a"), progress=lambda m: None)
    assert all(np.isfinite(loss) for _, loss in straight.losses)
    train(options("b", stop_after=1), progress=lambda m: None)
    again = train(options("b", resume=True), progress=lambda m: None)
    for x, y in zip(jax.tree_util.tree_leaves(straight.params), jax.tree_util.tree_leaves(again.params)):
        assert np.array_equal(np.asarray(x), np.asarray(y))
    with pytest.raises(ResumeMismatchError, match="data photos: checkpoint 'device', now 'host'"):
        train(options("b", resume=True, photos="host", steps=5), progress=lambda m: None)
