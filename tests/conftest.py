from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# The real cache (where `make test` assembled the embedded model) is found before tests isolate the env.
from aigc.config import default_home

REAL_HOME = Path(os.environ["AIGC_HOME"]) if os.environ.get("AIGC_HOME") else default_home()
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test starts without the user's AIGC_*/OPENAI_* settings or aigc.toml, offline."""
    for key in list(os.environ):
        if key.startswith(("AIGC_", "OPENAI_")):
            monkeypatch.delenv(key)
    work = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(work / "xdg-config"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


def run_aigc(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "aigc", *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", **(env or {})},
        timeout=timeout,
        check=False,
    )


# ---------------------------------------------------------------- real Chromium, for the pages

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # make installs Debian's chromium
# As root in a container Chromium needs --no-sandbox; the rest keep it off this machine's closed network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], errors  # no uncaught script error on the page
