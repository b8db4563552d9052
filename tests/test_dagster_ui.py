"""What `make dagster` opens: the webserver on loopback loads the code location, and headless
Chromium (Debian's /usr/bin/chromium, driven by playwright) renders the asset lineage from
the raw tables to the ESP syncs. Screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
STARTUP_SECONDS = 240
RENDER_MS = 120_000
GROUP_FLOW = ["raw", "staging", "intermediate", "contacts", "segments", "triggers", "syncs"]
SYNC_PATH = "klaviyo/klaviyo_subscribers"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("dagster_home")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NUDGE_WAREHOUSE": str(home / "nudge.duckdb"),
    }
    command = [
        str(Path(sys.executable).parent / "dagster-webserver"),
        *("-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)),
    ]
    log = (home / "webserver.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, (home / "webserver.log").read_text()[-3000:]
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the Dagster webserver did not come up"
            time.sleep(0.5)
        # the UI greets a new instance on loopback with a newsletter dialog; mark it seen
        seen = requests.post(
            f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=60
        )
        assert seen.ok, seen.text
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_webserver_lists_the_assets_by_group(webserver: str) -> None:
    query = "{ assetNodes { assetKey { path } groupName } }"
    response = requests.post(f"{webserver}/graphql", json={"query": query}, timeout=120)
    nodes = response.json()["data"]["assetNodes"]
    groups = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}
    assert groups["contacts/contact_rfm"] == "contacts"
    assert groups["raw/events"] == "raw"
    assert groups[SYNC_PATH] == "activation"
    assert set(GROUP_FLOW) <= set(groups.values())


def test_chromium_renders_the_lineage_from_raw_to_the_esp(webserver: str) -> None:
    from playwright.sync_api import Page, sync_playwright

    assert CHROMIUM.exists(), "needs Debian's chromium: apt-get install -y chromium (.ci/run)"

    def open_graph(page: Page, path: str, texts: list[str]) -> str:
        """Load `path` and wait until every text is on the graph."""
        page.goto(f"{webserver}{path}", timeout=RENDER_MS)
        deadline = time.monotonic() + RENDER_MS / 1000
        while True:
            if all(page.get_by_text(text, exact=True).first.is_visible() for text in texts):
                break
            assert time.monotonic() < deadline, f"{path}: the graph did not render {texts}"
            time.sleep(0.5)
        time.sleep(1)  # let the edges settle before the picture
        assert not page.get_by_role("dialog").is_visible(), "a dialog hides the graph"
        return page.inner_text("body")

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 2200, "height": 1500})
            # every group, collapsed, left to right: raw → … → syncs → activation (the ESP)
            overview = open_graph(page, "/asset-groups", [*GROUP_FLOW, "activation"])
            page.screenshot(path=ARTIFACTS / "dagster_lineage_groups.png")
            # the Klaviyo sync's upstream lineage, asset by asset, down to the raw tables
            lineage = open_graph(
                page,
                f"/assets/{SYNC_PATH}?view=lineage&lineageScope=upstream&lineageDepth=30",
                ["events", "identifies", "product_catalog", "contact_rfm", "contact_profiles"],
            )
            page.screenshot(path=ARTIFACTS / "dagster_lineage_klaviyo_subscribers.png")
        finally:
            browser.close()
    assert "Global asset lineage" in overview
    assert "klaviyo_subscribers" in lineage and "int_orders_netted" in lineage
    for name in ("dagster_lineage_groups.png", "dagster_lineage_klaviyo_subscribers.png"):
        shot = ARTIFACTS / name
        assert shot.stat().st_size > 20_000, f"{shot} looks empty"
        print(f"screenshot: {shot}")
