"""Faults injected by the fake ImageAnnotator server, seen from the CLI: exit codes, one-line messages,
the other pages still written; and credentials the Google way (API key, service-account JWT, ADC)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("google.cloud.vision_v1")
pytest.importorskip("inksight_cloud_vision")

from cryptography.hazmat.primitives import serialization  # noqa: E402  (google-auth's signer needs it too)
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from inksight_sdk.errors import BadArgumentsError, StageError  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from tests.conftest import shared  # noqa: E402

from .fake_server import kept_when_malformed  # noqa: E402

EMAIL = "reader@inksight-test.iam.gserviceaccount.com"


@pytest.fixture
def two_pages(tmp_path):
    """Two inputs (the fox photo twice), so a failed page can be seen skipped while the other is written."""
    first, second = tmp_path / "first.jpg", tmp_path / "second.jpg"
    shutil.copy(shared("photos", "inksight_page.jpg"), first)
    shutil.copy(first, second)
    return first, second


def _pages(path) -> list[list[str]]:
    return [[w["text"] for w in page["words"]] for page in json.loads(path.read_text(encoding="utf-8"))["pages"]]


def _error_line(result) -> str:
    lines = [ln for ln in result.stderr.decode().splitlines() if ln.startswith("inksight: error:")]
    assert len(lines) == 1 and b"Traceback" not in result.stderr, result.stderr
    return lines[0]


def _key_file(path, email: str = EMAIL) -> bytes:
    """A service-account key file with a fresh RSA key; returns the public key (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "inksight-test",
        "private_key_id": "k1",
        "private_key": private,
        "client_email": email,
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_unavailable_then_recovered_is_retried_with_backoff(fake, convert, tmp_path):
    fake.faults = ["unavailable", "unavailable"]
    out = tmp_path / "page.json"
    result = convert(shared("photos", "inksight_page.jpg"), "-o", out)  # retries=2
    assert result.returncode == 0, result.stderr
    assert [c.fault for c in fake.calls] == ["unavailable", "unavailable", None]
    assert len(_pages(out)[0]) == 9


def test_a_slow_answer_past_the_deadline_costs_its_page_only(fake, convert, two_pages, tmp_path):
    fake.faults = ["slow"] * 3
    fake.delay = 3.0
    out = tmp_path / "pages.json"
    result = convert(*two_pages, "-o", out, options=("api_key=test-key", "timeout=0.4"))
    assert result.returncode == 6, result.stderr
    assert [c.fault for c in fake.calls] == ["slow", "slow", "slow", None]  # 1 + 2 retries, then page 2
    assert b"page 1: Cloud Vision did not answer after 3 tries (DEADLINE_EXCEEDED" in result.stderr
    assert "output written without 1 failed" in _error_line(result)
    assert [len(words) for words in _pages(out)] == [9]


def test_quota_exceeded_costs_its_page_and_says_what_to_do(fake, convert, two_pages, tmp_path):
    fake.faults = ["quota"]
    out = tmp_path / "pages.json"
    result = convert(*two_pages, "-o", out)
    assert result.returncode == 6, result.stderr
    assert [c.fault for c in fake.calls] == ["quota", None]  # a quota error is not retried
    assert b"Cloud Vision quota exceeded (RESOURCE_EXHAUSTED: Quota exceeded for quota metric" in result.stderr
    assert b"raise the Vision API quota" in result.stderr
    assert [len(words) for words in _pages(out)] == [9]


def test_a_wrong_api_key_stops_the_run_with_what_to_set(fake, convert, two_pages, tmp_path):
    out = tmp_path / "pages.json"
    result = convert(*two_pages, "-o", out, options=("api_key=wrong-key",))
    assert result.returncode == 2, result.stderr
    line = _error_line(result)
    assert "Cloud Vision refused the credentials (INVALID_ARGUMENT: API key not valid" in line
    assert "set GOOGLE_APPLICATION_CREDENTIALS" in line and "api_key=KEY" in line
    assert len(fake.calls) == 1 and not out.exists()  # fail fast: page 2 is not sent


def test_no_credentials_stop_the_run_before_any_page_is_sent(fake, convert, tmp_path):
    out = tmp_path / "page.json"
    result = convert(shared("photos", "inksight_page.jpg"), "-o", out, options=())
    assert result.returncode == 2, result.stderr
    line = _error_line(result)
    assert "no usable Google Cloud credentials" in line and "set GOOGLE_APPLICATION_CREDENTIALS" in line
    assert fake.calls == [] and not out.exists()


def test_a_service_account_from_adc_signs_its_requests(fake, convert, tmp_path, monkeypatch):
    """GOOGLE_APPLICATION_CREDENTIALS: the client signs a JWT with the key; the server checks it."""
    key_file = tmp_path / "sa.json"
    fake.service_account = (EMAIL, _key_file(key_file))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    out = tmp_path / "page.json"
    result = convert(shared("photos", "inksight_page.jpg"), "-o", out, options=())
    assert result.returncode == 0, result.stderr
    assert fake.calls[0].metadata["authorization"].startswith("Bearer ey")
    # a key the server does not know: UNAUTHENTICATED, a configuration error
    other = tmp_path / "other.json"
    _key_file(other)
    result = convert(shared("photos", "inksight_page.jpg"), "-o", out, options=(f"credentials={other}",))
    assert result.returncode == 2, result.stderr
    assert "Cloud Vision refused the credentials (UNAUTHENTICATED" in _error_line(result)


def test_a_missing_credentials_file_is_named():
    with pytest.raises(BadArgumentsError, match="credentials file /nowhere/key.json does not exist"):
        default_registry().create("detector", "cloud-vision", {"credentials": "/nowhere/key.json"})


def test_a_disabled_api_is_a_configuration_error(fake, detector):
    fake.faults = ["denied"]
    with pytest.raises(BadArgumentsError, match="enable the Cloud Vision API"):
        detector().detect(np.full((300, 400, 3), 255, np.uint8))


def test_malformed_words_are_dropped_and_the_rest_kept(fake, convert, fox_scene, tmp_path):
    fake.faults = ["malformed"]
    out = tmp_path / "page.json"
    result = convert(shared("photos", "inksight_page.jpg"), "-o", out)
    assert result.returncode == 0, result.stderr
    kept = [fox_scene.words[i].text for i in kept_when_malformed(len(fox_scene.words))]
    assert _pages(out) == [kept]  # the second 'the' came as normalized vertices only: kept
    assert b"Cloud Vision's answer had 4 malformed word(s)" in result.stderr


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("garbage", b"Cloud Vision failed (INTERNAL: Exception deserializing response!)"),
        ("image_error", b"Cloud Vision rejected the page (INVALID_ARGUMENT: Bad image data.)"),
    ],
)
def test_an_unreadable_answer_costs_its_page(fake, convert, two_pages, tmp_path, fault, message):
    fake.faults = [fault]
    out = tmp_path / "pages.json"
    result = convert(*two_pages, "-o", out)
    assert result.returncode == 6, result.stderr
    assert b"page 1: " + message in result.stderr
    assert [len(words) for words in _pages(out)] == [9]


def test_an_answer_without_boxes_or_short_of_pages_fails_those_pages(fake, detector):
    page = np.asarray(Image.open(shared("photos", "inksight_page.jpg")).convert("RGB"))
    fake.faults = ["no_boxes"]
    with pytest.raises(StageError, match="none of its 9 word"):
        detector().detect(page)
    fake.faults = ["short"]
    results = detector().detect_batch([page, page])
    assert all(isinstance(r, StageError) and "1 result(s) for 2 page(s)" in str(r) for r in results)


def test_nothing_listening_is_a_network_failure_after_retries(detector):
    with pytest.raises(StageError, match=r"did not answer after 3 tries \(UNAVAILABLE"):
        detector(endpoint="127.0.0.1:1").detect(np.full((300, 400, 3), 255, np.uint8))


def test_the_pages_of_one_input_share_requests_and_a_failed_request_costs_only_its_pages(fake, convert, tmp_path):
    """Five TIFF pages with batch_size=2: three requests (2 + 2 + 1); quota on the second loses pages 3 and 4."""
    photo = Image.open(shared("photos", "inksight_page.jpg")).convert("RGB")
    source, out = tmp_path / "five.tif", tmp_path / "five.json"
    photo.save(source, save_all=True, append_images=[photo] * 4)
    fake.faults = [None, "quota"]
    result = convert(source, "-o", out, options=("api_key=test-key", "batch_size=2"))
    assert result.returncode == 6, result.stderr
    assert [len(c.sizes) for c in fake.calls] == [2, 2, 1]
    assert [page["index"] for page in json.loads(out.read_text(encoding="utf-8"))["pages"]] == [0, 1, 4]
    assert b"quota" in result.stderr.lower()
