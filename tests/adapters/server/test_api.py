"""Every endpoint and error of ``inksight serve``'s API, through an HTTP client against the real app.

The app runs its lifespan (temporary root, two real worker processes); the
inputs are the bundled sample photo, a shared photo, a PDF and an InkML file
made from them. Errors are compared with what the CLI says for the same run.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import time

import numpy as np
import pytest
from inksight_server.app import STATIC
from inksight_server.settings import ServerSettings
from PIL import Image, ImageDraw, ImageFont

import inksight_sdk
from inksight_sdk import Limits
from inksight_sdk.formats import jsonink
from tests.conftest import SUPPORT

from .conftest import (
    SAMPLE,
    cli_error,
    marked,
    pdf_of_sample,
    png_bytes,
    pool_status,
    running_app,
    server_root,
    word_photo,
)

LIMITS = Limits(max_bytes=4 << 20, max_pixels=3_000_000, max_pages=2)


@pytest.fixture(scope="module")
def client(test_plugins):
    settings = ServerSettings(workers=2, queue=4, limits=LIMITS, request_timeout=60, job_ttl=600)
    with running_app(settings) as client:
        yield client


def post(client, path: str, data: bytes, name: str = "quick_brown_fox.jpg", **fields):
    form = {key: json.dumps(value) if isinstance(value, dict) else str(value) for key, value in fields.items()}
    return client.post(path, files={"file": (name, data)}, data=form)


def convert(client, data: bytes, name: str = "quick_brown_fox.jpg", **fields):
    return post(client, "/v1/convert", data, name, **fields)


def wait_job(client, job_id: str, seconds: float = 60.0) -> tuple[dict, list[str]]:
    """Poll a job until it ends; returns its last view and every state seen."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        view = client.get(f"/v1/jobs/{job_id}").json()
        if not seen or seen[-1] != view["state"]:
            seen.append(view["state"])
        if view["state"] in ("done", "failed", "cancelled"):
            return view, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end within {seconds} s: {seen}")


def assert_error(response, status: int, code: str, exit_code: int, contains: str = "") -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["status"], error["code"], error["exit_code"]) == (status, code, exit_code), error
    assert "\n" not in error["message"] and contains in error["message"], error
    return error


def no_request_folders_left(client, seconds: float = 5.0) -> None:
    folder = server_root(client) / "requests"
    deadline = time.monotonic() + seconds
    while os.listdir(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.listdir(folder) == []


# -- conversions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,media,ext",
    [
        ("json", "application/json", ".json"),
        ("inkml", "application/inkml+xml", ".inkml"),
        ("svg", "image/svg+xml", ".svg"),
        ("txt", "text/plain; charset=utf-8", ".txt"),
    ],
)
def test_convert_answers_the_document_in_the_asked_format(client, fmt, media, ext):
    response = convert(client, SAMPLE.read_bytes(), format=fmt)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    assert response.headers["content-disposition"] == f'attachment; filename="quick_brown_fox{ext}"'
    assert response.headers["x-inksight-exit-code"] == "0"
    expected = inksight_sdk.convert(str(SAMPLE))
    assert response.headers["x-inksight-words"] == str(sum(len(p.words) for p in expected.pages))
    root = str(server_root(client))
    assert root not in response.text  # no server path in any answer
    if fmt == "json":
        document = jsonink.loads(response.content)
        assert document.metadata.source == "quick_brown_fox.jpg"
        assert [[len(w.strokes) for w in p.words] for p in document.pages] == [
            [len(w.strokes) for w in p.words] for p in expected.pages
        ]
        for got, want in zip(document.pages[0].strokes(), expected.pages[0].strokes(), strict=True):
            np.testing.assert_allclose(got.points, want.points, atol=1e-3)
    if fmt == "inkml":
        assert b"<ink" in response.content and b"<trace" in response.content
    no_request_folders_left(client)


def test_convert_a_second_real_photo_with_named_stages_and_options(client):
    response = convert(
        client,
        word_photo().read_bytes(),
        name="inksight word.jpg",
        detector="layout",
        derenderer="skeleton",
        mode="text",
        derenderer_options={"workers": 0},
        format="svg",
        export_options={"colour-by-order": True},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="inksight_word.svg"'
    assert response.text.count("<path") >= 1


def test_printed_words_are_kept_without_strokes_unless_trace_printed(client):
    page = Image.new("RGB", (900, 160), (246, 244, 238))
    draw = ImageDraw.Draw(page)
    draw.text((30, 40), "Registre des jugements prononcant", font=ImageFont.load_default(size=30), fill=(25, 25, 30))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    words = {}
    for trace in ("false", "true"):
        response = convert(client, buffer.getvalue(), name="typed.png", format="json", trace_printed=trace)
        assert response.status_code == 200, response.text
        words[trace] = response.json()["pages"][0]["words"]
    assert words["false"] and all(w["kind"] == "printed" and not w["strokes"] for w in words["false"])
    assert [w["kind"] for w in words["true"]] == [w["kind"] for w in words["false"]]
    assert all(w["strokes"] for w in words["true"])


def test_job_runs_reports_progress_and_serves_results_and_page_images(client):
    response = post(client, "/v1/jobs", SAMPLE.read_bytes())
    assert response.status_code == 202, response.text
    created = response.json()
    job_id = created["id"]
    assert created["state"] == "queued" and len(job_id) >= 20
    assert response.headers["location"] == f"/v1/jobs/{job_id}" == created["links"]["self"]
    view, seen = wait_job(client, job_id)
    assert seen[-1] == "done" and set(seen) <= {"queued", "running", "done"}, seen
    assert (view["pages_done"], view["pages_total"], view["error"]) == (1, 1, None)
    assert view["warnings"] == []
    assert {"json", "inkml", "svg", "txt", "gif"} <= set(view["formats"])
    expires = datetime.datetime.fromisoformat(view["expires_at"])
    assert 590 < (expires - datetime.datetime.now(datetime.UTC)).total_seconds() <= 601

    direct = jsonink.loads(convert(client, SAMPLE.read_bytes()).content)
    result = client.get(f"/v1/jobs/{job_id}/result")
    assert result.status_code == 200 and result.headers["content-type"] == "application/json"
    document = jsonink.loads(result.content)
    assert document.pages == direct.pages and view["words"] == len(document.pages[0].words) > 0

    inkml = client.get(f"/v1/jobs/{job_id}/result", params={"format": "inkml"})
    assert inkml.status_code == 200 and inkml.headers["content-type"] == "application/inkml+xml"
    assert inkml.headers["content-disposition"] == 'attachment; filename="quick_brown_fox.inkml"'
    again = client.get(f"/v1/jobs/{job_id}/result", params={"format": "inkml"})
    assert again.content == inkml.content

    image = client.get(f"/v1/jobs/{job_id}/pages/1/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(image.content))
    page = document.pages[0]
    assert picture.size == (page.width, page.height)
    assert np.array_equal(np.asarray(picture), np.asarray(Image.open(SAMPLE).convert("RGB")))
    assert_error(client.get(f"/v1/jobs/{job_id}/pages/2/image"), 404, "NOT_FOUND", 2, "no page 2")
    assert_error(client.get(f"/v1/jobs/{job_id}/pages/0/image"), 404, "NOT_FOUND", 2)
    assert_error(client.get(f"/v1/jobs/{job_id}/pages/x/image"), 400, "BAD_ARGUMENTS", 2, "page")
    bad = client.get(f"/v1/jobs/{job_id}/result", params={"format": "svg", "export_options": '{"nope": 1}'})
    assert_error(bad, 422, "BAD_ARGUMENTS", 2, "unknown option(s) nope for svg")
    assert_error(client.get(f"/v1/jobs/{job_id}/result", params={"format": "nope"}), 422, "PLUGIN", 5, "nope")

    folder = server_root(client) / "jobs" / job_id
    assert folder.is_dir()
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert not folder.exists()
    assert_error(client.get(f"/v1/jobs/{job_id}"), 404, "NOT_FOUND", 2, "never existed, expired or was removed")


def test_pdf_job_counts_pages_and_serves_each_rendered_page(client):
    pytest.importorskip("inksight_pdf", reason="the PDF adapter is not installed")
    response = post(client, "/v1/jobs", pdf_of_sample(2), name="two pages.pdf", dpi="50")
    assert response.status_code == 202, response.text
    view, _ = wait_job(client, response.json()["id"])
    assert view["state"] == "done", view
    assert (view["pages_done"], view["pages_total"]) == (2, 2)
    document = jsonink.loads(client.get(f"/v1/jobs/{view['id']}/result").content)
    assert [p.dpi for p in document.pages] == [50.0, 50.0]
    for number, page in enumerate(document.pages, start=1):
        image = Image.open(io.BytesIO(client.get(f"/v1/jobs/{view['id']}/pages/{number}/image").content))
        assert image.size == (page.width, page.height) == (926, 121)  # 1852x242 at 100 dpi, rendered at 50
    three = post(client, "/v1/jobs", pdf_of_sample(3), name="three.pdf", dpi="50")
    failed, _ = wait_job(client, three.json()["id"])
    assert failed["state"] == "failed"
    assert failed["error"]["status"] == 413 and failed["error"]["code"] == "INPUT_LIMIT", failed
    assert "--max-pages" in failed["error"]["message"]
    assert_error(client.get(f"/v1/jobs/{view['id']}/pages/3/image"), 404, "NOT_FOUND", 2)
    result = client.get(f"/v1/jobs/{three.json()['id']}/result")
    assert_error(result, 413, "INPUT_LIMIT", 7, "three.pdf")
    # page images come one page at a time (the PDF reader's page range), even of the job that failed
    third = client.get(f"/v1/jobs/{three.json()['id']}/pages/3/image")
    assert third.status_code == 200 and Image.open(io.BytesIO(third.content)).size == (926, 121)
    fourth = client.get(f"/v1/jobs/{three.json()['id']}/pages/4/image")
    assert_error(fourth, 404, "NOT_FOUND", 2, "three.pdf has no page 4")


def test_an_ink_file_converts_without_stages_and_has_no_page_image(client):
    inkml = convert(client, SAMPLE.read_bytes(), format="inkml").content
    response = post(client, "/v1/jobs", inkml, name="fox.inkml")
    view, _ = wait_job(client, response.json()["id"])
    assert view["state"] == "done" and view["words"] > 0, view
    error = assert_error(client.get(f"/v1/jobs/{view['id']}/pages/1/image"), 404, "NOT_FOUND", 2)
    assert error["message"] == "page 1 of fox.inkml is ink, not an image; there is no photo to show"


def test_result_before_done_is_409_and_delete_stops_the_job_and_replaces_its_worker(client):
    replaced = pool_status(client)["replaced"]
    response = post(
        client,
        "/v1/jobs",
        SAMPLE.read_bytes(),
        detector="whole-page",
        derenderer="slow",
        derenderer_options={"seconds": 60},
    )
    job_id = response.json()["id"]
    deadline = time.monotonic() + 30
    while client.get(f"/v1/jobs/{job_id}").json()["state"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_error(client.get(f"/v1/jobs/{job_id}/result"), 409, "JOB_NOT_DONE", 2, "is running")
    folder = server_root(client) / "jobs" / job_id
    assert folder.is_dir()
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    view = client.get(f"/v1/jobs/{job_id}").json()
    assert view["state"] == "cancelled" and view["expires_at"] is not None
    assert not folder.exists()
    assert_error(client.get(f"/v1/jobs/{job_id}/result"), 409, "JOB_NOT_DONE", 2, "cancelled")
    deadline = time.monotonic() + 10
    while pool_status(client)["replaced"] == replaced and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool_status(client)["replaced"] == replaced + 1
    assert convert(client, SAMPLE.read_bytes()).status_code == 200
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204  # a cancelled job is then removed
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404


def test_a_worker_that_crashes_costs_only_its_request(client):
    replaced = pool_status(client)["replaced"]
    response = convert(
        client, marked(word_photo()), name="poison.png", detector="marker", detector_options={"crash": True}
    )
    error = assert_error(
        response, 422, "INCOMPLETE", 6, "the worker process converting poison.png died (exit code -11)"
    )
    assert "replaced" in error["message"]
    assert client.get("/healthz").status_code == 200
    assert convert(client, SAMPLE.read_bytes()).status_code == 200
    assert pool_status(client)["replaced"] == replaced + 1
    no_request_folders_left(client)


# -- refusals -------------------------------------------------------------------------------------


def tiff_frames(count: int) -> bytes:
    frame = Image.open(SAMPLE).convert("RGB")
    buffer = io.BytesIO()
    frame.save(buffer, "TIFF", save_all=True, append_images=[frame] * (count - 1))
    return buffer.getvalue()


def big_photo() -> bytes:
    """A real photo over the test's 3-megapixel limit (2460x3280, a PNG under 4 MiB after a crop)."""
    from tests.conftest import shared

    image = Image.open(shared("photos", "breta_page09.jpg")).convert("L").crop((0, 0, 2400, 1400))
    return png_bytes(image)


REFUSALS = [
    # (case, request, status, code, exit_code, in the message)
    ("no multipart", {"json": {"file": "x"}}, 400, "BAD_ARGUMENTS", 2, "multipart/form-data"),
    ("no file", {"data": {"format": "json"}, "files": {"other": ("x", b"")}}, 400, "BAD_ARGUMENTS", 2, "'other'"),
    ("no file part", {"files": {"format": (None, "json")}}, 400, "BAD_ARGUMENTS", 2, "no file"),
    ("unknown field", {"fields": {"colour": "red"}}, 400, "BAD_ARGUMENTS", 2, "unknown form field 'colour'"),
    ("options not JSON", {"fields": {"detector_options": "x=1"}}, 400, "BAD_ARGUMENTS", 2, "JSON object"),
    ("unknown detector", {"fields": {"detector": "nope"}}, 422, "PLUGIN", 5, "unknown detector 'nope'"),
    ("bad option", {"fields": {"derenderer_options": {"colour": "red"}}}, 422, "BAD_ARGUMENTS", 2, "colour"),
    ("unknown mode", {"fields": {"mode": "fast"}}, 422, "BAD_ARGUMENTS", 2, "unknown mode 'fast'"),
    ("unknown format", {"fields": {"format": "nope"}}, 422, "PLUGIN", 5, "unknown exporter 'nope'"),
    ("dpi not a number", {"fields": {"dpi": "high"}}, 400, "BAD_ARGUMENTS", 2, "dpi must be a number"),
    ("dpi out of range", {"fields": {"dpi": "0"}}, 422, "BAD_ARGUMENTS", 2, "between 1 and 2400"),
    ("trace_printed not a boolean", {"fields": {"trace_printed": "maybe"}}, 400, "BAD_ARGUMENTS", 2, "true or false"),
    ("text file", {"data_bytes": b"just some notes\n", "name": "notes.jpg"}, 415, "INPUT_FILE", 3, "not a supported"),
    ("empty file", {"data_bytes": b"", "name": "empty.png"}, 400, "INPUT_FILE", 3, "input file is empty: empty.png"),
    ("broken JPEG", {"data_bytes": b"\xff\xd8\xff\xe0" + bytes(200), "name": "b.jpg"}, 400, "INPUT_FILE", 3, "b.jpg"),
    ("over max bytes", {"data_bytes": b"\x89PNG\r\n\x1a\n" + bytes(5 << 20)}, 413, "INPUT_LIMIT", 7, "--max-bytes"),
    ("over max pixels", {"data": "big"}, 413, "INPUT_LIMIT", 7, "over the limit of 3,000,000"),
    ("over max pages", {"data": "tiff"}, 413, "INPUT_LIMIT", 7, "over the limit of 2"),
]


@pytest.mark.parametrize("case,request_,status,code,exit_code,contains", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_have_the_right_status_exit_code_and_one_line_message(
    client, case, request_, status, code, exit_code, contains
):
    if "json" in request_:
        response = client.post("/v1/convert", json=request_["json"])
    elif "files" in request_:
        response = client.post("/v1/convert", files=request_["files"], data=request_.get("data", {}))
    else:
        data = {"big": big_photo, "tiff": lambda: tiff_frames(3)}.get(request_.get("data"), lambda: None)()
        if data is None:
            data = request_.get("data_bytes", SAMPLE.read_bytes())
        response = convert(client, data, request_.get("name", "page.png"), **request_.get("fields", {}))
    assert_error(response, status, code, exit_code, contains)
    no_request_folders_left(client)


def test_refusals_say_what_the_cli_says_for_the_same_run(client, test_plugins, tmp_path):
    notes = tmp_path / "notes.jpg"
    notes.write_bytes(b"just some notes\n")
    big = tmp_path / "big.png"
    big.write_bytes(big_photo())
    paths = [test_plugins, SUPPORT]
    cases = [
        (["convert", str(SAMPLE), "-o", "-", "--format", "json", "--detector", "nope"], {"detector": "nope"}, None),
        (
            ["convert", str(SAMPLE), "-o", "-", "--format", "json", "--derenderer-option", "colour=red"],
            {"derenderer_options": {"colour": "red"}},
            None,
        ),
        (["convert", str(SAMPLE), "-o", "-", "--format", "nope"], {"format": "nope"}, None),
        (["convert", "notes.jpg", "-o", "-", "--format", "json"], {}, notes),
        (["convert", "big.png", "-o", "-", "--format", "json", "--max-pixels", "3000000"], {}, big),
    ]
    for args, fields, upload in cases:
        said = cli_error(*args, env_paths=paths, cwd=tmp_path)
        data, name = (upload.read_bytes(), upload.name) if upload else (SAMPLE.read_bytes(), "quick_brown_fox.jpg")
        assert convert(client, data, name, **fields).json()["error"]["message"] == said


def test_a_job_takes_no_format_and_checks_its_export_options(client):
    assert_error(post(client, "/v1/jobs", SAMPLE.read_bytes(), format="svg"), 400, "BAD_ARGUMENTS", 2, "'format'")
    response = post(client, "/v1/jobs", SAMPLE.read_bytes(), export_options={"definitely_not": 1})
    assert_error(response, 422, "BAD_ARGUMENTS", 2, "no installed exporter takes the export options definitely_not")
    only_svg = post(client, "/v1/jobs", SAMPLE.read_bytes(), export_options={"with_image": True})
    view, _ = wait_job(client, only_svg.json()["id"])
    assert view["formats"] == ["svg"]
    svg = client.get(f"/v1/jobs/{view['id']}/result", params={"format": "svg"})
    assert svg.status_code == 200 and b"<image" in svg.content  # the photo under the ink: the job's own upload


def test_unknown_jobs_addresses_and_methods(client):
    assert_error(client.get("/v1/jobs/nope"), 404, "NOT_FOUND", 2, "no job 'nope'")
    assert_error(client.delete("/v1/jobs/nope"), 404, "NOT_FOUND", 2)
    assert_error(client.get("/v1/jobs/nope/result"), 404, "NOT_FOUND", 2)
    assert_error(client.get("/v1/nothing"), 404, "NOT_FOUND", 2, "/v1/nothing")
    assert_error(client.put("/v1/convert"), 405, "METHOD_NOT_ALLOWED", 2)


# -- what is installed, health, docs, the page ---------------------------------------------------------


def test_plugins_lists_what_the_cli_lists_with_media_types(client, test_plugins):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(test_plugins), str(SUPPORT)]))
    cli = subprocess.run(
        [sys.executable, "-c", "from inksight_sdk.cli import main; main()", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    rows = client.get("/v1/plugins").json()
    exporters = {row["name"]: row for row in rows if row["kind"] == "exporter"}
    assert exporters["json"]["media_type"] == "application/json"
    assert exporters["inkml"]["extensions"] == [".inkml"]
    assert exporters["svg"]["media_type"] == "image/svg+xml"
    for row in rows:
        row.pop("media_type", None)
    assert rows == json.loads(cli.stdout)


def test_health_readiness_openapi_and_offline_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and ready["workers"] == ready["workers_up"] == 2
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/convert", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result", "/v1/plugins"} <= set(paths)
    assert "multipart/form-data" in paths["/v1/convert"]["post"]["requestBody"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/v1/convert" in docs.text and "export_options" in docs.text
    assert "://" not in docs.text.replace("http://www.w3.org", "")  # nothing loaded from another site
    assert "access-control-allow-origin" not in client.get("/healthz", headers={"Origin": "https://x.example"}).headers


def test_the_web_page_and_its_folder_are_served_safely(client):
    index = client.get("/")
    if (STATIC / "index.html").is_file():
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in index.headers["content-security-policy"]
    else:
        assert_error(index, 404, "NOT_FOUND", 2, "web page is not installed")
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/nothing.js", "/static/"):
        assert client.get(path).status_code == 404, path
