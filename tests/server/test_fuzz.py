"""Schema fuzzing: schemathesis generates requests from the server's own OpenAPI document; none may get a 500."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from aigc.engines.base import GenerationParams
from aigc.engines.fake import FakeEngine
from aigc.server.app import ServerConfig, create_app
from tests.server.conftest import echo

_DATA = Path(tempfile.mkdtemp(prefix="aigc-fuzz-"))
# Short replies and no verification loop to speak of: the fuzzer is after the HTTP layer, not the model.
APP = create_app(
    FakeEngine(echo),
    ServerConfig(data_dir=_DATA, home=_DATA / "home", max_tokens_limit=64, max_body_bytes=64 * 1024,
                 allowed_hosts=["testserver"],  # the ASGI client's Host
                 defaults=GenerationParams(max_tokens=16, temperature=0.0)),
)  # fmt: skip
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_schema_allows_or_almost_allows_gets_a_500(case: schemathesis.Case) -> None:
    if case.path == "/api/projects" and case.method == "POST":
        case.body = {"spec": {"name": "x"}} if isinstance(case.body, dict) else case.body  # no 40 real builds
    case.call_and_validate(checks=[not_a_server_error])
