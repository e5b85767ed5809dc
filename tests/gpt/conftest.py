from __future__ import annotations

from pathlib import Path

import pytest

from aigc.models.catalogue import CATALOGUE, DEFAULT_MODEL
from aigc.models.store import ensure, models_dir
from tests.conftest import REAL_HOME


@pytest.fixture(scope="session")
def model_path_any() -> Path:
    """The embedded model's GGUF (make test assembles it first)."""
    return ensure(CATALOGUE[DEFAULT_MODEL], models_dir(REAL_HOME))
