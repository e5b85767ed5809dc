"""Fixtures the project tests share: the real sandbox and an aigc home for the apps' environments, one of
each per test module (a home's environment is built once and reused by the module's apps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc.sandbox import Sandbox


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox(backend="bwrap")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aigc-home")
