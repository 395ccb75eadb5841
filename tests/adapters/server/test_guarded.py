"""A server with a token, CORS for one origin, short time limits and a short job TTL.

One worker process; the hang and the slow export come from the test plugins
(a detector that sleeps on a marked page, an exporter that sleeps mid-write),
so the page timeout, the request timeout and the worker's replacement are
exercised for real.
"""

from __future__ import annotations

import os
import time

import pytest
from inksight_server.settings import ServerSettings

from inksight_sdk import Limits
from inksight_sdk.formats import jsonink

from .conftest import SAMPLE, marked, pool_status, running_app, server_root, word_photo

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "https://notes.example"


@pytest.fixture(scope="module")
def client(test_plugins):
    settings = ServerSettings(
        workers=1,
        queue=2,
        token=TOKEN,
        cors_origins=(ORIGIN,),
        job_ttl=1.0,
        request_timeout=4.0,
        limits=Limits(max_bytes=8 << 20, page_timeout=1.5),
    )
    with running_app(settings, headers=AUTH) as client:
        yield client


def convert(client, data: bytes, name: str = "quick_brown_fox.jpg", headers=AUTH, **fields):
    return client.post("/v1/convert", files={"file": (name, data)}, data=fields, headers=headers)


def test_the_api_needs_the_token_and_the_page_and_health_do_not(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        for method, path in (("get", "/v1/plugins"), ("get", "/readyz"), ("get", "/v1/jobs/x"), ("post", "/v1/jobs")):
            response = getattr(client, method)(path, headers=headers)
            assert response.status_code == 401, (headers, path)
            assert response.headers["www-authenticate"] == "Bearer"
            error = response.json()["error"]
            assert error["code"] == "UNAUTHORIZED" and "Authorization: Bearer" in error["message"]
    refused = convert(client, SAMPLE.read_bytes(), headers={})
    assert refused.status_code == 401
    assert os.listdir(server_root(client) / "requests") == []  # refused before the upload was read
    assert client.get("/v1/plugins", headers=AUTH).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code in (200, 404)  # open: 404 only while the web page is not installed
    assert client.get("/openapi.json").status_code == 200


def test_cors_headers_only_for_the_configured_origin(client):
    allowed = client.get("/healthz", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "x-inksight-exit-code" in allowed.headers["access-control-expose-headers"].lower()
    other = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/v1/convert",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers


def test_a_page_past_the_page_timeout_is_skipped_and_its_worker_replaced(client):
    replaced = pool_status(client)["replaced"]
    response = convert(client, marked(word_photo()), "poison.png", detector="marker", detector_options='{"hang": 30}')
    assert response.status_code == 200, response.text
    assert response.headers["x-inksight-exit-code"] == "6"
    problems = jsonink.loads(response.content).metadata.problems
    assert problems == ("page 1: detector marker did not finish within 1.5 s (--page-timeout); page skipped",)
    # the hung page's thread still sleeps in that worker: it is replaced, the next request gets a fresh one
    assert pool_status(client)["replaced"] == replaced + 1
    good = convert(client, SAMPLE.read_bytes())
    assert good.status_code == 200 and good.headers["x-inksight-exit-code"] == "0"


def test_a_request_past_the_request_timeout_is_504_and_the_server_goes_on(client):
    replaced = pool_status(client)["replaced"]
    started = time.monotonic()
    response = convert(client, SAMPLE.read_bytes(), format="slow-write")
    assert time.monotonic() - started < 15
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert (error["code"], error["exit_code"]) == ("TIMEOUT", 130)
    assert error["message"] == (
        "quick_brown_fox.jpg did not finish within 4 s (inksight serve --request-timeout); the conversion was stopped"
    )
    assert pool_status(client)["replaced"] == replaced + 1
    assert convert(client, SAMPLE.read_bytes()).status_code == 200
    assert os.listdir(server_root(client) / "requests") == []


def test_a_finished_job_expires_with_its_files(client):
    created = client.post("/v1/jobs", files={"file": ("fox.jpg", SAMPLE.read_bytes())}, headers=AUTH).json()
    folder = server_root(client) / "jobs" / created["id"]
    deadline = time.monotonic() + 30
    while client.get(f"/v1/jobs/{created['id']}", headers=AUTH).json()["state"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert folder.is_dir()
    time.sleep(1.8)  # the TTL (1 s) and a janitor round (0.25 s)
    assert client.get(f"/v1/jobs/{created['id']}", headers=AUTH).status_code == 404
    assert not folder.exists()


def test_pipelines_are_built_once_per_set_of_choices_and_reused(client):
    built = pool_status(client)["pipelines_built"]
    assert built >= 1  # the worker's default pipeline, built before it said ready
    for fields in ({}, {"detector": "auto", "mode": "vanilla"}, {}):
        assert convert(client, SAMPLE.read_bytes(), **fields).status_code == 200
    assert pool_status(client)["pipelines_built"] == built  # the defaults, named or not: the same pipeline
    for _ in range(3):
        response = convert(client, SAMPLE.read_bytes(), derenderer_options='{"workers": 0}')
        assert response.status_code == 200
    assert pool_status(client)["pipelines_built"] == built + 1
