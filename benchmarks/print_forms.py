"""Print or handwriting on phone photos of filled-in forms (issue 13 part 3), drawn here with a known truth.

    python benchmarks/print_forms.py                 # 12 forms (about 30 s on 2 cores)
    python benchmarks/print_forms.py --forms 40 --show 3   # more forms; save 3 overlays to /tmp
    python benchmarks/print_forms.py --bow 12 --out /tmp/bowed.md   # the sheet curling toward the camera
    python benchmarks/print_forms.py --bands --out /tmp/bands.md    # shaded section bands with headings
    python benchmarks/print_forms.py --capitals --out /tmp/caps.md  # fields filled in with block capitals
    python benchmarks/print_forms.py --boxed --out /tmp/boxed.md    # fields as cells, labels at their tops

A form is drawn at 150 dpi: a heading in bold capitals, rows of printed
labels (``Date of birth:``) each with a field line that real handwriting fills
in (some rows hold two fields side by side), on most forms a bordered table
(a printed header row, cells partly written in), rows of tick boxes with a
tick in one, a line of small print at the foot, and a frame round it all.
Field lines and table borders are 1 or 2 px wide. Every form takes its faces and sizes from a seeded draw among the
TrueType faces of the machine (DejaVu Sans and Serif, Liberation Sans and
Serif, when installed) and Pillow's own (Aileron), labels 15-26 px high. The
handwriting is cut into words from *tuning* pen recordings only
(``docs/quality-split.md``): the Wacom note and the UNIPEN writers ``jwsr102``,
``wcdr101`` and ``app2200``, in blue or black ink. Then the page is
photographed: warm uneven light, a slight rotation and perspective, blur,
sensor noise, reduced to 60-90 % and saved as JPEG at quality 60-85.
With ``--bow PX`` the sheet also curls toward the camera before it is
photographed: its rows sag by up to PX pixels (of the 1240 x 1600 drawing)
along a half sine across it, more toward the bottom (a tuning instrument:
the committed results are drawn flat). The words' boxes move with the sag
at their centres. With ``--bands`` two section headings in bold capitals
(``MEDICAL HISTORY``) stand on bands across the form, one before the first
label and one halfway down: dark (50-95 of 255) with white letters, mid
grey (140-175) or light (200-225) with black ones, drawn from a draw of
their own so the rest of the form keeps its draws (it moves down two rows).
A band counts as printed structure, its words as print. With ``--capitals``
the fields are filled in with block capitals instead
(:func:`inksight_sdk.evaluation.write_capitals`: a small single-stroke
alphabet, each letter with its own size, tilt, lift and wobble, 0.85-1.1 of
the cursive's letter height) from a draw of their own; the rest of the form
draws differently from the cursive form of its seed. With ``--boxed`` the
labels stand in a grid of bordered cells instead of rows with field lines:
two or three cells a row, each label in small print (0.75 of the labels'
size) at its cell's upper left and the answer written in the cell under it,
starting 6 px right of the label (a draw of its own; no bands then).

Scored per form, from :func:`inksight_sdk.vision.detect_layout` (the
default detector) and the default pipeline:

- ``print found``: of the detected words whose centre lies on a printed word,
  the share taken for print (``kind`` printed, kept without strokes);
- ``hand as print``: of the detected words on handwriting, the share taken
  for print or a stamp (their ink would be lost);
- ``ink on print``: the share of the traced ink within a printed word's box;
- ``ink on lines``: the share of the traced ink (drawn 1 px wide) on a printed
  line (field lines, table borders, tick boxes, the frame; 2 px either side)
  and not within 2 px of the handwriting;
- ``hand covered``: the share of the handwriting's pixels within 3 px of the
  traced ink that lies on handwriting (within 2 px of it: a printed line
  traced beside a letter covers none of it). Letters drawn small with a
  broad pen fill their loops (an ``o`` becomes a dot), which the tracer
  cannot follow: this stays below 1 even for a perfect detector.

Writes ``benchmarks/results/print_forms.md``. Nothing here is a judging
photo: the judging form (``form_patient_intake_phone.jpg``) is measured by
``quality_unseen.py --set judge`` only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import attrs
import cv2
import numpy as np
from _common import RESULTS, machine_line, markdown_table, save_png, shared
from PIL import Image, ImageDraw, ImageFont

from inksight_sdk import Pipeline
from inksight_sdk.evaluation import load_unipen_strokes, load_wacom_strokes, text_lines, write_capitals
from inksight_sdk.vision import detect_layout

FACES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)
BOLD = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
HEADINGS = ("PATIENT INTAKE FORM", "MEMBERSHIP APPLICATION", "REGISTRATION FORM", "VISITOR LOG", "ORDER FORM")
LABELS = (
    "First name:", "Last name:", "Date of birth:", "Address:", "City and postcode:", "Phone number:",
    "Email address:", "Emergency contact:", "Relationship:", "Insurance provider:", "Policy number:",
    "Current medications:", "Allergies:", "Reason for visit:", "Occupation:", "Signature:", "Date:",
)  # fmt: skip
TABLES = (("Medication", "Dose", "How often"), ("Name", "Relationship", "Phone"), ("Item", "Quantity", "Price"))
SECTIONS = ("PERSONAL DETAILS", "MEDICAL HISTORY", "CONTACT", "INSURANCE")
TICKS = ("Smoker:", "Returning visitor:", "Newsletter:")
FOOTERS = (
    "Please write clearly in ink and complete every field. Office use only below this line.",
    "Form 12-B rev. 2023. The information you give is kept confidential under our privacy policy.",
)
#: what a form's fields are filled in with, with ``--capitals``
ANSWERS = (
    "JOHN SMITH", "MARIA GARCIA", "12 OAK STREET", "SPRINGFIELD 62704", "555-0142", "03/11/1984", "PENICILLIN",
    "NONE", "ASPIRIN", "TEACHER", "BLUE CROSS", "A1234567", "HEADACHE", "FATHER", "JANE DOE", "ROBERT KING",
    "LONDON W1 4XY", "NURSE", "TWICE DAILY", "100 MG", "07/22/1990", "PETER QUINZ", "LAKE VIEW", "MOTHER",
    "BACK PAIN", "HAY FEVER", "ENGINEER", "J. DOE",
)  # fmt: skip
INKS = ((28, 48, 150), (32, 32, 38))
#: the tuning recordings the handwriting is cut from (docs/quality-split.md)
UNIPEN = ("jwsr102.dat", "wcdr101.dat", "app2200.dat")


@attrs.frozen
class Form:
    """A photographed form: the image, and the boxes (x0, y0, x1, y1) of its printed and handwritten words."""

    image: np.ndarray
    printed: list[tuple[float, float, float, float]]
    handwritten: list[tuple[float, float, float, float]]
    #: where the printed lines (field lines, table borders, tick boxes, the frame) and the handwriting lie
    structure: np.ndarray = attrs.field(eq=False)
    hand: np.ndarray = attrs.field(eq=False)


def handwritten_words() -> list[list[np.ndarray]]:
    """Words (lists of strokes, their own frame) cut at wide gaps from the tuning recordings' text lines."""
    sources = [load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))]
    sources += [load_unipen_strokes(shared("ink", "unipen", name)) for name in UNIPEN]
    words = []
    for strokes in sources:
        strokes = [s for s in strokes if len(s)]
        height = float(np.median([np.ptp(s[:, 1]) for s in strokes]))
        for line in text_lines(strokes, 1.5 * height):
            members = sorted(line, key=lambda i: float(strokes[i][:, 0].min()))
            word: list[np.ndarray] = []
            right = -np.inf
            for i in members:
                s = strokes[i]
                if word and s[:, 0].min() - right > 0.6 * height:
                    words.append(word)
                    word = []
                word.append(s)
                right = max(right, float(s[:, 0].max()))
            if word:
                words.append(word)
    return [w for w in words if sum(len(s) for s in w) >= 20]


def _face(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    if path and Path(path).exists():
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # Aileron, shipped with Pillow


def draw_form(
    seed: int,
    words: list[list[np.ndarray]],
    bow: float = 0.0,
    bands: bool = False,
    capitals: bool = False,
    boxed: bool = False,
) -> Form:
    """One form, its words' boxes in the photographed image's pixels; ``bow``, ``bands``, ``capitals``, ``boxed``:
    see the module docstring."""
    rng = np.random.default_rng(seed)
    capitals_rng = np.random.default_rng(seed + 20_000)
    width, height = 1240, 1600
    page = Image.new("RGB", (width, height), (248, 247, 243))
    draw = ImageDraw.Draw(page)
    faces = [f for f in FACES if Path(f).exists()] + [None]
    face = faces[int(rng.integers(len(faces)))]
    bold = [f for f in BOLD if Path(f).exists()] + [None]
    size = int(rng.integers(15, 27))
    printed: list[tuple[float, float, float, float]] = []
    handwritten: list[tuple[float, float, float, float]] = []
    ink_layer = np.zeros((height, width), np.float32)
    lines = Image.new("L", (width, height), 0)
    lines_draw = ImageDraw.Draw(lines)

    def line(points: list[tuple[float, float]], thickness: int) -> None:
        draw.line(points, fill=(60, 60, 66), width=thickness)
        lines_draw.line(points, fill=255, width=thickness)

    def rectangle(box: list[float], thickness: int) -> None:
        draw.rectangle(box, outline=(40, 40, 44), width=thickness)
        lines_draw.rectangle(box, outline=255, width=thickness)

    def text(x: float, y: float, words_: str, font: ImageFont.FreeTypeFont) -> float:
        """Print ``words_`` from (x, baseline y); one box per word; return the x after it."""
        for word in words_.split():
            box = draw.textbbox((x, y), word, font=font, anchor="ls")
            draw.text((x, y), word, font=font, fill=(30, 30, 34), anchor="ls")
            printed.append(tuple(float(v) for v in box))
            x = box[2] + font.getlength(" ")
        return x

    def pen_down(strokes: list[np.ndarray], pen: float) -> None:
        """Draw a handwritten word's strokes and keep its box."""
        for s in strokes:
            points = np.rint(s * 16).astype(np.int32)
            cv2.polylines(ink_layer, [points], False, 1.0, int(round(pen)), cv2.LINE_AA, shift=4)
        every = np.concatenate(strokes)
        handwritten.append((*every.min(axis=0), *every.max(axis=0)))

    def write(x: float, baseline: float, x_end: float, letter: float) -> None:
        """Handwritten words from ``x`` along ``baseline`` until ``x_end``, ascenders about ``letter`` px."""
        if capitals:
            pen = float(capitals_rng.uniform(2.0, 3.2))
            answer = ANSWERS[int(capitals_rng.integers(len(ANSWERS)))]
            height = letter * float(capitals_rng.uniform(0.85, 1.1))
            for word in write_capitals(answer, height, capitals_rng):
                w = max(float(s[:, 0].max()) for s in word)
                if x + w > x_end:
                    return
                dy = baseline + float(capitals_rng.uniform(-2, 2))
                pen_down([s + [x, dy] for s in word], pen)
                x += w + capitals_rng.uniform(0.6, 1.0) * height
            return
        pen = float(rng.uniform(2.0, 3.2))
        while True:
            word = words[int(rng.integers(len(words)))]
            pts = np.concatenate(word)
            top, bottom = np.percentile(pts[:, 1], 2), np.percentile(pts[:, 1], 90)
            scale = letter / max(bottom - top, 1.0) * rng.uniform(0.9, 1.2)
            w = float(np.ptp(pts[:, 0])) * scale
            if x + w > x_end:
                return
            dy = baseline - bottom * scale + rng.uniform(-2, 2)
            pen_down([(s - [pts[:, 0].min(), 0.0]) * scale + [x, dy] for s in word], pen)
            x += w + rng.uniform(0.6, 1.2) * letter

    def table(top: float, font: ImageFont.FreeTypeFont, thickness: int) -> float:
        """A bordered table: a printed header row, then rows some of whose cells are written in; its bottom."""
        titles = TABLES[int(rng.integers(len(TABLES)))]
        row = font.size * rng.uniform(2.0, 2.6)
        rows = int(rng.integers(3, 6))
        left, right = 80.0, width - 80.0
        edges = [left] + [left + (right - left) * f for f in (0.45, 0.7)] + [right]
        bottom = top + row * (rows + 1)
        for k in range(rows + 2):
            line([(left, top + k * row), (right, top + k * row)], thickness)
        for x in edges:
            line([(x, top), (x, bottom)], thickness)
        for x, title in zip(edges, titles):
            text(x + 10, top + 0.7 * row, title, font)
        for r in range(1, rows + 1):
            for x0, x1 in zip(edges, edges[1:]):
                if rng.random() < 0.6:
                    write(x0 + 10, top + (r + 0.72) * row, x1 - 10, font.size * rng.uniform(1.1, 1.4))
        return bottom + 1.2 * font.size * 2.6

    heading = HEADINGS[int(rng.integers(len(HEADINGS)))]
    text(80, 120, heading, _face(bold[int(rng.integers(len(bold)))], int(1.6 * size)))
    font = _face(face, size)
    labels = list(rng.permutation(LABELS))[: int(rng.integers(8, 12))]
    y = 200.0
    spacing = size * rng.uniform(2.6, 3.4)
    rule = int(rng.integers(1, 3))
    sections = list(SECTIONS)
    bands_rng = np.random.default_rng(seed + 10_000)

    def band(y: float) -> float:
        """A section heading on a shaded band whose foot is at ``y``; the y of the next row."""
        tone = int(bands_rng.integers(3))
        level = (int(bands_rng.integers(50, 96)), int(bands_rng.integers(140, 176)), int(bands_rng.integers(200, 226)))
        fill = tuple(int(np.clip(level[tone] + t, 0, 255)) for t in bands_rng.integers(-12, 13, 3))
        tall = 1.7 * size
        draw.rectangle([70, y - tall, width - 70, y], fill=fill)
        lines_draw.rectangle([70, y - tall, width - 70, y], fill=255)
        font = _face(bold[int(bands_rng.integers(len(bold)))], size)
        x = 80.0
        for word in sections.pop(int(bands_rng.integers(len(sections)))).split():
            box = draw.textbbox((x, y - 0.35 * tall), word, font=font, anchor="ls")
            draw.text(
                (x, y - 0.35 * tall), word, font=font, fill=(250, 250, 250) if tone == 0 else (30, 30, 34), anchor="ls"
            )
            printed.append(tuple(float(v) for v in box))
            x = box[2] + font.getlength(" ")
        return y + spacing

    boxed_rng = np.random.default_rng(seed + 30_000)

    def boxed_fields(top: float) -> float:
        """The labels as a grid of bordered cells, each label small at its cell's upper left and the answer
        written below it; the y of the next row."""
        small = _face(face, max(11, int(0.75 * size)))
        columns = int(boxed_rng.integers(2, 4))
        tall = size * float(boxed_rng.uniform(3.4, 4.2))
        rows = -(-len(labels) // columns)
        left, right = 70.0, width - 70.0
        for r in range(rows + 1):
            line([(left, top + r * tall), (right, top + r * tall)], rule)
        for r in range(rows):
            cells = labels[r * columns : (r + 1) * columns]
            edges = [left + (right - left) * c / len(cells) for c in range(len(cells) + 1)]
            for x in edges:
                line([(x, top + r * tall), (x, top + (r + 1) * tall)], rule)
            for name, x0, x1 in zip(cells, edges, edges[1:]):
                text(x0 + 6, top + r * tall + small.size + 3, name, small)
                if boxed_rng.random() < 0.85:
                    write(x0 + 12, top + (r + 0.85) * tall, x1 - 12, size * float(boxed_rng.uniform(1.1, 1.4)))
        return top + rows * tall + spacing

    def field_rows(y: float) -> float:
        """The labels in rows, each followed by its field line (two to a row now and then), a band before the
        first and halfway down with ``bands``; the y of the next row."""
        for k, label in enumerate(labels):
            if bands and k in (0, len(labels) // 2):
                y = band(y)
            # some rows hold two fields side by side, each with its own short line
            if k + 1 < len(labels) and rng.random() < 0.25:
                fields = [(80, width / 2 - 20, label), (width / 2 + 20, width - 80, labels[k + 1])]
            else:
                fields = [(80, width - 80, label)]
            for x0, x1, name in fields:
                end = text(x0, y, name, font)
                line([(end + 10, y + 3), (x1, y + 3)], rule)
                if rng.random() < 0.85:
                    write(end + 20, y, x1 - 20, size * rng.uniform(1.1, 1.6))
            y += spacing
        return y

    y = boxed_fields(y - size) if boxed else field_rows(y)
    if rng.random() < 0.7:
        y = table(y, font, rule)
    for label in rng.permutation(TICKS)[:2]:
        x = text(80, y, str(label), font) + 20
        ticked = int(rng.integers(2))
        for k, option in enumerate(("Yes", "No")):
            box = size * 0.9
            rectangle([x, y - box, x + box, y], 2)
            if k == ticked:
                tick = np.array(
                    [[x + 0.15 * box, y - 0.5 * box], [x + 0.4 * box, y - 0.1 * box], [x + 1.2 * box, y - 1.3 * box]]
                )
                cv2.polylines(ink_layer, [np.rint(tick * 16).astype(np.int32)], False, 1.0, 3, cv2.LINE_AA, shift=4)
                handwritten.append((*tick.min(axis=0), *tick.max(axis=0)))
            x = text(x + box + 10, y, option, font) + 40
        y += spacing
    text(80, y + spacing, FOOTERS[int(rng.integers(len(FOOTERS)))], _face(face, max(12, int(0.7 * size))))
    rectangle([50, 60, width - 50, y + 1.5 * spacing], 2)

    # the pen's ink over the print, then the camera
    image = np.asarray(page, np.float32)
    ink = np.asarray(INKS[int(rng.integers(len(INKS)))], np.float32)
    alpha = np.clip(ink_layer, 0, 1)[..., None] * rng.uniform(0.85, 0.95)
    image = image * (1 - alpha) + ink * alpha
    structure, hand = np.asarray(lines) > 0, ink_layer > 0.3
    if bow > 0:
        image, printed, handwritten, structure, hand = _bowed(image, printed, handwritten, structure, hand, bow, rng)
    return _photograph(image, printed, handwritten, structure, hand, rng)


def _bowed(
    image: np.ndarray,
    printed: list,
    handwritten: list,
    structure: np.ndarray,
    hand: np.ndarray,
    bow: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list, list, np.ndarray, np.ndarray]:
    """The sheet curling toward the camera: rows sag by up to ``bow`` pixels, more toward the bottom."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = float(rng.uniform(0, np.pi))
    sag = (bow * np.sin(np.pi * xx / w + phase) * (0.5 + yy / h)).astype(np.float32)

    def warp(a: np.ndarray, interpolation: int) -> np.ndarray:
        return cv2.remap(a, xx, yy + sag, interpolation, borderMode=cv2.BORDER_REPLICATE)

    def moved(boxes: list) -> list:
        out = []
        for x0, y0, x1, y1 in boxes:
            cx, cy = int(np.clip((x0 + x1) / 2, 0, w - 1)), int(np.clip((y0 + y1) / 2, 0, h - 1))
            out.append((x0, y0 - float(sag[cy, cx]), x1, y1 - float(sag[cy, cx])))
        return out

    structure = warp(structure.astype(np.uint8), cv2.INTER_NEAREST) > 0
    hand = warp(hand.astype(np.uint8), cv2.INTER_NEAREST) > 0
    return warp(image.astype(np.float32), cv2.INTER_LINEAR), moved(printed), moved(handwritten), structure, hand


def _photograph(
    image: np.ndarray,
    printed: list,
    handwritten: list,
    structure: np.ndarray,
    hand: np.ndarray,
    rng: np.random.Generator,
) -> Form:
    """Warm uneven light, a slight rotation and perspective, blur, noise, reduced, JPEG."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    falloff = 1.0 - 0.25 * (((xx - rng.uniform(0, w)) / w) ** 2 + ((yy - rng.uniform(0, h)) / h) ** 2)
    image = image * falloff[..., None] * np.array([1.0, 0.95, 0.86], np.float32)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    moved = corners + rng.uniform(-0.02, 0.02, (4, 2)).astype(np.float32) * [w, h]
    scale = float(rng.uniform(0.6, 0.9))
    warp = cv2.getPerspectiveTransform(corners, (moved * scale).astype(np.float32))
    size = (int(w * scale), int(h * scale))
    image = cv2.warpPerspective(image, warp, size, flags=cv2.INTER_LINEAR, borderValue=(70, 60, 50))
    image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.5, 1.1)))
    image = image + rng.normal(0, 2.5, image.shape)
    ok, buf = cv2.imencode(
        ".jpg",
        np.clip(image, 0, 255).astype(np.uint8)[..., ::-1],
        [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 86))],
    )
    photo = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])

    def boxes(items: list) -> list[tuple[float, float, float, float]]:
        out = []
        for x0, y0, x1, y1 in items:
            pts = np.float32([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]])
            p = cv2.perspectiveTransform(pts, warp).reshape(-1, 2)
            out.append((*p.min(axis=0), *p.max(axis=0)))
        return out

    def mask(m: np.ndarray) -> np.ndarray:
        return cv2.warpPerspective(m.astype(np.uint8), warp, size, flags=cv2.INTER_NEAREST) > 0

    return Form(photo, boxes(printed), boxes(handwritten), mask(structure), mask(hand))


def score(form: Form, pipeline: Pipeline) -> tuple[dict[str, float], list]:
    """The form's scores, and its traced strokes."""

    def inside(point: np.ndarray, items: list) -> bool:
        return any(x0 - 2 <= point[0] <= x1 + 2 and y0 - 2 <= point[1] <= y1 + 2 for x0, y0, x1, y1 in items)

    on_print = on_hand = found = wrong = 0
    for word in detect_layout(form.image).words:
        centre = np.asarray(word.quad, np.float64).mean(axis=0)
        if inside(centre, form.printed):
            on_print += 1
            found += word.kind == "printed"
        elif inside(centre, form.handwritten):
            on_hand += 1
            wrong += word.kind in ("printed", "stamp")
    strokes = [np.asarray(s.points, np.float64) for s in pipeline.convert(form.image).strokes() if len(s.points)]
    points = np.concatenate(strokes) if strokes else np.zeros((0, 2))
    ink_on_print = float(np.mean([inside(p, form.printed) for p in points[::3]])) if len(points) else 0.0
    # a printed line is traced where the output lies on it (two pixels either side) away from the handwriting
    near = np.ones((5, 5), np.uint8)
    structure = cv2.dilate(form.structure.astype(np.uint8), near) > 0
    hand = cv2.dilate(form.hand.astype(np.uint8), near) > 0
    traced = np.zeros(form.hand.shape, np.uint8)
    for s in strokes:
        cv2.polylines(traced, [np.rint(s).astype(np.int32)], False, 1, 1)
    on = np.nonzero(traced)
    ink_on_lines = float(np.mean(structure[on] & ~hand[on])) if len(on[0]) else 0.0
    # the handwriting covered: its pixels within three pixels of the output that lies on handwriting (a printed
    # line traced beside a letter covers none of it)
    on_writing = traced & hand.astype(np.uint8)
    distance = cv2.distanceTransform((1 - on_writing).astype(np.uint8), cv2.DIST_L2, 3)
    covered = float(np.mean(distance[form.hand] <= 3.0)) if form.hand.any() else 1.0
    return {
        "printed words": on_print,
        "print found": found / max(on_print, 1),
        "handwritten words": on_hand,
        "hand as print": wrong / max(on_hand, 1),
        "ink on print": ink_on_print,
        "ink on lines": ink_on_lines,
        "hand covered": covered,
    }, strokes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=0, help="save this many overlays to /tmp/print_forms_<k>.png")
    parser.add_argument("--bow", type=float, default=0.0, help="the sheet curls toward the camera by this many px")
    parser.add_argument("--bands", action="store_true", help="section headings on shaded bands")
    parser.add_argument("--capitals", action="store_true", help="fields filled in with block capitals")
    parser.add_argument("--boxed", action="store_true", help="fields as bordered cells, labels at their tops")
    parser.add_argument("--out", type=Path, default=RESULTS / "print_forms.md")
    args = parser.parse_args()
    words = handwritten_words()
    pipeline = Pipeline(detector="layout", derenderer="skeleton")
    rows = []
    start = time.perf_counter()
    for k in range(args.forms):
        form = draw_form(args.seed + k, words, args.bow, args.bands, args.capitals, args.boxed)
        r, strokes = score(form, pipeline)
        rows.append([args.seed + k] + list(r.values()))
        print(f"form {args.seed + k}: " + " ".join(f"{key}={v:.3f}" for key, v in r.items()), flush=True)
        if k < args.show:
            shown = form.image.copy()
            for x0, y0, x1, y1 in form.printed:
                cv2.rectangle(shown, (int(x0), int(y0)), (int(x1), int(y1)), (255, 160, 0), 1)
            for s in strokes:
                cv2.polylines(shown, [np.rint(s).astype(np.int32)], False, (220, 0, 0), 1)
            save_png(shown, Path(f"/tmp/print_forms_{k}.png"), max_bytes=3_000_000)
    header = [
        "form", "printed words", "print found", "handwritten words", "hand as print", "ink on print", "ink on lines",
        "hand covered",
    ]  # fmt: skip
    total_print = sum(r[1] for r in rows)
    total_hand = sum(r[3] for r in rows)
    found = sum(r[1] * r[2] for r in rows) / max(total_print, 1)
    wrong = sum(r[3] * r[4] for r in rows) / max(total_hand, 1)
    ink = float(np.mean([r[5] for r in rows]))
    on_lines = float(np.mean([r[6] for r in rows]))
    covered = float(np.mean([r[7] for r in rows]))
    text = [
        "# Print or handwriting on photographed forms",
        "",
        f"Generated by `python benchmarks/print_forms.py --forms {args.forms} --seed {args.seed}"
        + (f" --bow {args.bow:g}" if args.bow else "")
        + (" --bands" if args.bands else "")
        + (" --capitals" if args.capitals else "")
        + (" --boxed" if args.boxed else "")
        + "` (definitions in its "
        "docstring). Synthetic forms: printed labels in the machine's TrueType faces, handwriting cut from tuning "
        "pen recordings, photographed (light, perspective, blur, noise, JPEG).",
        f"Machine: {machine_line()}. Wall time: {time.perf_counter() - start:.0f} s.",
        "",
        markdown_table(header, rows),
        "",
        f"All forms: print found {found:.3f} of {total_print} printed words; hand as print {wrong:.3f} of "
        f"{total_hand} handwritten words; mean ink on print {ink:.3f}; mean ink on lines {on_lines:.3f}; "
        f"mean handwriting covered {covered:.3f}.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text))
    print(text[-2])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
