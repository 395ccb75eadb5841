"""Animated replays (GIF, WebP, APNG): timing on the page clock, the ink in order, the size limit, the CLI."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageSequence
from scipy.ndimage import binary_dilation

from inksight_sdk import InkDocument, Page, api
from inksight_sdk.errors import ExitCode
from inksight_sdk.formats import replay, xopp
from inksight_sdk.formats.replay import ReplayOptions
from tests.conftest import run_cli, run_main, shared

PRECIOUS = b"precious: an earlier run's output"


@pytest.fixture(scope="module")
def word():
    """The word photo converted once: 250 x 126 pixels, never scaled at the default max_side."""
    return api.convert(str(shared("photos", "inksight_word.jpg")))


def decoded(data: bytes) -> tuple[list[np.ndarray], list[int], dict]:
    image = Image.open(io.BytesIO(data))
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(np.asarray(frame.convert("RGB")).astype(int))
        durations.append(int(frame.info.get("duration", 0)))
    return frames, durations, dict(image.info)


def strokes_with_clock(document):
    from inksight_sdk.formats.replay import _clocked

    return [s for page in document.pages for s in _clocked(page)]


def drawing(page: Page, strokes, scale: float = 1.0) -> np.ndarray:
    """An independent reference: the strokes drawn with PIL (no anti-aliasing, round caps) as a mask."""
    canvas = Image.new("L", (round(page.width * scale), round(page.height * scale)), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        xy = [tuple(p) for p in ((stroke.points.astype(float) + 0.5) * scale - 0.5)]
        width = max(1, round(float(np.median(stroke.width)) * scale))
        if len(xy) > 1:
            draw.line(xy, fill=255, width=width)
        for x, y in xy:  # round caps and joins
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    return np.asarray(canvas) > 0


def ink(frame: np.ndarray) -> np.ndarray:
    return frame.min(axis=2) < 160  # on a white page: the pen, not the faintest anti-aliased fringe


# -- timing ----------------------------------------------------------------------


@pytest.mark.parametrize("speed, fps", [(1.0, 15.0), (2.5, 10.0), (0.5, 4.0)])
def test_frame_count_is_duration_times_fps(word, speed, fps):
    strokes = strokes_with_clock(word)
    span = max(s.t[-1] for s in strokes) - min(s.t[0] for s in strokes)
    options = ReplayOptions(speed=speed, fps=fps, hold=1.5, max_duration=None)
    frames = list(replay.frames(word, options))
    assert len(frames) == math.ceil(span / speed * fps) == replay.frame_count(span, speed, fps)
    assert sum(seconds for _, seconds in frames) == pytest.approx(len(frames) / fps + 1.5)


def test_long_writing_is_sped_up_to_max_duration(word):
    strokes = strokes_with_clock(word)
    assert max(s.t[-1] for s in strokes) - min(s.t[0] for s in strokes) > 1.5  # the word takes longer to write
    options = ReplayOptions(fps=10, max_duration=1.0, hold=0)
    frames = list(replay.frames(word, options))
    assert len(frames) == 10  # 1 s at 10 fps, whatever the page clock says


def test_file_durations_follow_the_clock(word):
    options = ReplayOptions(fps=10, hold=2.0, background="white")
    frames = list(replay.frames(word, options))
    expected = len(frames) * 100 + 2000
    for fmt in replay.FORMATS:
        _, durations, info = decoded(replay.encode(word, fmt, options))
        assert abs(sum(durations) - expected) <= 10, fmt  # frames where nothing changed are merged, time is not lost
        assert info.get("loop", 0) == 0  # forever


# -- what the frames show ----------------------------------------------------------


@pytest.mark.parametrize("fmt", replay.FORMATS)
def test_last_frame_shows_all_the_ink(word, fmt):
    options = ReplayOptions(background="white")
    frames, _, _ = decoded(replay.encode(word, fmt, options))
    page = word.pages[0]
    shown = ink(frames[-1])
    reference = drawing(page, page.strokes())
    assert shown.shape == reference.shape == (126, 250)
    near_reference = binary_dilation(reference, iterations=2)
    near_shown = binary_dilation(shown, iterations=2)
    assert (shown & near_reference).sum() >= 0.98 * shown.sum()  # nothing drawn that is not ink
    assert (reference & near_shown).sum() >= 0.98 * reference.sum()  # all the ink is drawn


def test_first_frames_show_only_the_earliest_strokes(word):
    options = ReplayOptions(background="white", fps=10, max_duration=None)
    strokes = strokes_with_clock(word)
    start = min(s.t[0] for s in strokes)
    page = word.pages[0]
    frames = [frame for frame, _ in replay.frames(word, options)]
    for k in (2, len(frames) // 3):
        until = start + (k + 1) / 10
        written = [s for s in strokes if s.t[0] <= until]
        later = [s for s in strokes if s.t[0] > until]
        assert written and later
        shown = ink(frames[k])
        assert shown.any()
        allowed = binary_dilation(drawing(page, written), iterations=2)
        assert (shown & ~allowed).sum() <= 0.01 * shown.sum()  # ink only where the strokes written so far are
        untouched = drawing(page, later) & ~binary_dilation(drawing(page, written), iterations=3)
        assert not (shown & untouched).any()  # later strokes not yet on the page


def test_photo_is_faded_under_the_ink_and_colour_by_order(word):
    options = ReplayOptions(colour_by_order=True)
    first, *_, last = [frame for frame, _ in replay.frames(word, options)]
    strokes = strokes_with_clock(word)
    page = word.pages[0]
    paper = ~binary_dilation(drawing(page, strokes), iterations=4)
    assert first[paper].mean() < 245 and first[paper].std() > 2  # the photo, not white paper
    assert first[paper].min() >= 0.55 * 255 - 1  # faded: at 0.45 opacity even black is light
    first_stroke = drawing(page, strokes[:1]) & ~binary_dilation(drawing(page, strokes[1:]), iterations=2)
    last_stroke = drawing(page, strokes[-1:]) & ~binary_dilation(drawing(page, strokes[:-1]), iterations=2)
    red, violet = last[first_stroke].mean(axis=0), last[last_stroke].mean(axis=0)
    assert red[0] > red[2] + 40  # the first stroke red
    assert violet[2] > violet[1] + 40  # the last one violet


def test_ink_without_a_clock_and_several_pages(word):
    """Ink read from a .xopp has no time: it is timed like converted ink; pages play one after another."""
    read = xopp.loads(xopp.dumps(word))
    assert all(s.t is None for s in read.pages[0].strokes())
    two = InkDocument(pages=(read.pages[0], word.pages[0]))
    options = ReplayOptions(fps=10, hold=1.0, max_duration=None, background="white")
    frames = list(replay.frames(two, options))
    one = list(replay.frames(InkDocument(pages=(word.pages[0],)), options))
    assert len(frames) > len(one) > 1
    assert sum(seconds for _, seconds in frames) == pytest.approx(len(frames) / 10 + 2.0)  # a hold per page
    second_start = frames[len(frames) - len(one)][0]
    assert ink(second_start).sum() < ink(frames[-1][0]).sum() / 2  # the second page starts (nearly) blank


# -- size limit and the CLI --------------------------------------------------------


def test_size_limit_is_honoured_on_a_photo_conversion(tmp_path):
    """The handwritten line: under 20 kB the GIF comes back smaller; an impossible limit writes nothing."""
    photo = shared("photos", "inksight_page.jpg")
    out = tmp_path / "page.gif"
    code, err = run_main("convert", photo, "-o", out, "--export-option", "max_bytes=20000")
    assert code == 0, err
    data = out.read_bytes()
    assert len(data) <= 20_000
    frames, _, _ = decoded(data)
    assert len(frames) > 10 and frames[0].shape[1] < 800  # fitted by making the frame smaller
    out.write_bytes(PRECIOUS)
    code, err = run_main("convert", photo, "-o", out, "--export-option", "max_bytes=1024")
    assert code == ExitCode.OUTPUT_FILE, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "max_bytes" in err
    assert out.read_bytes() == PRECIOUS
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_cli_writes_gif_webp_and_apng_from_a_photo(tmp_path):
    photo = shared("photos", "simplehtr_line.png")
    gif = tmp_path / "line.gif"
    result = run_cli("convert", str(photo), "-o", str(gif))  # a real process, end to end
    assert result.returncode == 0, result.stderr
    assert gif.read_bytes()[:6] == b"GIF89a"
    for name, magic in (("line.webp", b"RIFF"), ("line.apng", b"\x89PNG")):
        code, err = run_main("convert", photo, "-o", tmp_path / name)
        assert code == 0, err
        assert (tmp_path / name).read_bytes()[:4] == magic
    for name in ("line.gif", "line.webp", "line.apng"):
        frames, durations, _ = decoded((tmp_path / name).read_bytes())
        assert len(frames) > 5 and frames[0].shape == (64, 511, 3), name
        assert ink(frames[-1]).sum() > ink(frames[1]).sum(), name  # the writing grows
        assert len((tmp_path / name).read_bytes()) <= replay.DEFAULT_MAX_BYTES


@pytest.mark.parametrize("option", ["fps=0", "background=blue", "max_side=10.5", "speed=-1", "colour=red"])
def test_bad_options_are_refused_before_any_work(tmp_path, option):
    code, err = run_main(
        "convert", shared("photos", "inksight_word.jpg"), "-o", tmp_path / "w.gif", "--export-option", option
    )
    assert code == ExitCode.BAD_ARGUMENTS, err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "w.gif").exists()


def test_the_pen_moves_between_points_and_loop_counts_plays():
    """A straight stroke of two points grows frame by frame; ``loop`` is the number of plays in every format."""
    from inksight_sdk import Stroke, WordInk

    line = Stroke(points=[[10, 32], [110, 32]], t=[0.0, 1.0], width=[4, 4])
    document = InkDocument(pages=(Page(width=120, height=64, words=[WordInk(quad=np.zeros((4, 2)), strokes=[line])]),))
    options = ReplayOptions(fps=10, background="white", hold=0)
    reach = [np.flatnonzero(ink(frame).any(axis=0)).max() for frame, _ in replay.frames(document, options)]
    assert len(reach) == 10 and all(b > a for a, b in zip(reach, reach[1:]))
    assert reach[4] == pytest.approx(10 + 50, abs=3)  # half way at half time
    for fmt in replay.FORMATS:
        _, _, info = decoded(replay.encode(document, fmt, ReplayOptions(loop=1)))
        assert info.get("loop") == (None if fmt == "gif" else 1), fmt  # GIF: no repeat count means one play
        _, _, info = decoded(replay.encode(document, fmt, ReplayOptions(loop=3)))
        assert info.get("loop") == (2 if fmt == "gif" else 3), fmt  # GIF counts repeats after the first play
