"""Fixtures: the fake Vision server, scenes from real photos, and a CLI runner pointed at the server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from defusedxml import ElementTree
from PIL import Image

from tests.conftest import run_cli, shared

# the fake server imports the client library: loaded in the fixtures, so that without the plugin the
# test modules skip themselves (importorskip) instead of this file failing to import

FOX = "The quick brown fox jumps over the lazy dog."
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
#: fast faults: tests never wait long for a retry or a deadline
FAST = ("retries=2", "backoff=0.05", "timeout=2")


def _alto_words(path: Path) -> list:
    """The ALTO lines' boxes (pixel edges) cut into words in proportion to their characters."""
    from .fake_server import Word

    words = []
    lines = ElementTree.parse(path).getroot().iter(f"{ALTO}TextLine")
    for line_index, line in enumerate(lines):
        string = line.find(f"{ALTO}String")
        text = string.get("CONTENT")
        x, y, w, h = (float(string.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
        start = 0
        for token in text.split(" "):
            begin = text.index(token, start)
            start = begin + len(token)
            x0, x1 = x + w * begin / len(text), x + w * start / len(text)
            quad = np.array([[x0, y], [x1, y], [x1, y + h], [x0, y + h]])
            words.append(Word(quad, token, block=0, line=line_index))
    return words


@pytest.fixture(scope="session")
def fox_scene():
    """inksight_page.jpg: the builtin layout detector's nine word quads, with the known text."""
    from inksight_sdk.pipeline import default_registry

    from .fake_server import Scene, Word

    path = shared("photos", "inksight_page.jpg")
    image = np.asarray(Image.open(path).convert("RGB"))
    layout = default_registry().create("detector", "layout", {})[1].detect(image)
    texts = FOX.split()
    assert len(layout.words) == len(texts)
    words = tuple(Word(np.asarray(w.quad, np.float64) + 0.5, t) for w, t in zip(layout.words, texts))
    return Scene(image.shape[1], image.shape[0], words, "en")


@pytest.fixture(scope="session")
def testament_scene():
    """testaments_AD78_0054-0.jpg: 20 handwritten French lines from its ALTO transcription."""
    from .fake_server import Scene

    path = shared("photos", "testaments_AD78_0054-0.alto.xml")
    width, height = Image.open(shared("photos", "testaments_AD78_0054-0.jpg")).size
    return Scene(width, height, tuple(_alto_words(path)), "fr")


@pytest.fixture
def fake(fox_scene, testament_scene):
    from .fake_server import FakeVision

    server = FakeVision(scenes=[fox_scene, testament_scene])
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch, tmp_path):
    """No credentials of the machine leak in: no ADC file, no gcloud config, no metadata server probe."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")


@pytest.fixture
def convert(fake):
    """``convert(*ARGS, options=(...))`` runs ``inksight convert ARGS --detector cloud-vision`` against the fake."""

    def run(*args: str, options: tuple[str, ...] = ("api_key=test-key",)):
        flags = []
        for option in (f"endpoint={fake.endpoint}", *FAST, *options):
            flags += ["--detector-option", option]
        return run_cli("convert", *[str(a) for a in args], "--detector", "cloud-vision", *flags)

    return run


@pytest.fixture
def detector(fake):
    """The detector built through the registry, pointed at the fake, with fast retries."""
    from inksight_sdk.pipeline import default_registry

    def build(**options):
        values = {"endpoint": fake.endpoint, "api_key": "test-key", "retries": 2, "backoff": 0.05, "timeout": 2}
        return default_registry().create("detector", "cloud-vision", {**values, **options})[1]

    return build
