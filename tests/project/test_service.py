"""Services from OpenAPI documents the CRUD templates cannot build (issue 15): the routes written from the
document, the handler contract, the static check of handler code, and whole services built with a
scripted model, tested and started in the real sandbox and attacked over HTTP."""

from __future__ import annotations

import ast
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.errors import OpenAPIError
from aigc.project.doc_checks import document_checks
from aigc.project.functions import Writer
from aigc.project.handlers import contract_tests, problems, requirement_for, shape
from aigc.project.operations import operations
from aigc.project.runner import ProjectRunError, project_env, serving
from aigc.project.service import render_service
from aigc.project.service_build import ServiceReport, build_service
from aigc.sandbox import Sandbox
from aigc.verify.runner import run_tests
from tests.conftest import run_aigc

TOOLBOX = Path(__file__).parent.parent / "data" / "openapi" / "toolbox.yaml"

HANDLERS = {
    "convert_temperature": """def convert_temperature(body, state):
    value, unit = body["value"], body["unit"]
    if unit == "C":
        return 200, {"value": value * 9 / 5 + 32, "unit": "F"}
    return 200, {"value": (value - 32) * 5 / 9, "unit": "C"}
""",
    "add_note": """def add_note(body, state):
    notes = state.setdefault("notes", {})
    key = str(len(notes) + 1)
    notes[key] = {**body, "noteId": key}
    return 201, notes[key]
""",
    "get_note": """def get_note(noteId, format, state):
    note = state.get("notes", {}).get(noteId)
    return (200, note) if note else (404, None)
""",
    "count_words": """def count_words(body, state):
    try:
        text = body["file"]["content"].decode("utf-8")
    except UnicodeDecodeError:
        return 400, None
    return 200, str(len(text.split()))
""",
}
TESTS = {
    "convert_temperature": "assert convert_temperature({'value': 100, 'unit': 'C'}, {})[1]['value'] == 212.0",
    "add_note": "assert add_note({'text': 'hi'}, {})[0] == 201",
    "get_note": "assert get_note('9', None, {}) == (404, None)",
    "count_words": "assert count_words({'file': {'filename': 'a', 'content': b'a b'}}, {}) == (200, '2')",
}


NOTHING = "def nothing():\n    return None\n"


def toolbox() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(TOOLBOX.read_text(encoding="utf-8"))
    return doc


def helper_requirements() -> str:
    doc = toolbox()
    ops, models = operations(doc)
    return render_service(doc, ops, models, {}, document_checks(doc, ops), title="t", requirement="")[
        "requirements.txt"
    ]


def scripted(handlers: dict[str, str], tests: dict[str, str] | None = None) -> FakeEngine:
    """A model that writes the handler the prompt names (an empty function when it has none) and its test."""
    tests = TESTS if tests is None else tests

    def reply(request: Request) -> str:
        text = "\n".join(m.content for m in request.messages)
        name = next((n for n in tests if f"function {n}" in text or f"def {n}(" in text), "")
        if "You write unit tests" in (request.messages[0].content if request.messages else ""):
            return f"```python\n{tests.get(name, 'assert True')}\n```"
        return f"```python\n{handlers.get(name, NOTHING)}```"

    return FakeEngine(reply)


def writer(box: Sandbox, handlers: dict[str, str], tests: dict[str, str] | None = None) -> Writer:
    return Writer(scripted(handlers, tests), GenerationParams(max_tokens=300), box, 1, 1, lambda _: None)


# ---------------------------------------------------------------- routes from the document


def test_routes_keep_the_documents_names_and_types() -> None:
    doc = toolbox()
    ops, models = operations(doc)
    files = render_service(doc, ops, models, HANDLERS, document_checks(doc, ops), title="Toolbox", requirement="")
    main = files["backend/main.py"]
    assert "@app.get('/notes/{noteId}', name='get_note')" in main
    assert "noteId: Annotated[str, Path(alias='noteId')]" in main
    assert "Query(alias='format')] = None" in main  # optional query parameters stay optional
    assert "models.NewNote" in main and "'text/plain'" in main
    assert "REFUSE_WITH" in main and '"convert_temperature": 400' in main  # the document lists 400, not 422
    compile(main, "main.py", "exec")


def test_hostile_names_stay_literals_and_no_schema_shadows_a_route_name() -> None:
    evil = "x'); import os; os.system('id') #"
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t\n# injected", "version": "1"},
        "paths": {
            "/items/{id}": {
                "post": {
                    "operationId": "make",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": evil, "in": "query", "schema": {"type": "string", "enum": [evil]}},
                    ],
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Request"}}}
                    },
                    "responses": {
                        "200": {
                            "description": evil,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Path"}}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Request": {"type": "object", "properties": {evil: {"type": "string"}}},
                "Path": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
            }
        },
    }
    ops, models = operations(doc)
    files = render_service(
        doc, ops, models, {}, document_checks(doc, ops), title=doc["info"]["title"], requirement=evil
    )
    main = files["backend/main.py"]
    compile(main, "main.py", "exec")
    assert "models.Request" in main and "models.Path" in main  # the document's classes never shadow FastAPI's
    tree = ast.parse(main)
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "system" not in names | {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}  # only ever a literal
    assert any(isinstance(n, ast.Constant) and n.value == evil for n in ast.walk(tree))
    readme = files["README.md"]
    assert "\n# injected" not in readme and "t # injected" in readme


def test_a_document_the_operations_cannot_honour_is_refused_with_where() -> None:
    doc = toolbox()
    del doc["paths"]["/convert"]["post"]["responses"]
    with pytest.raises(OpenAPIError, match="POST /convert: the operation has no responses"):
        operations(doc)


# ---------------------------------------------------------------- the handler contract


def test_the_requirement_gives_the_signature_shapes_and_the_state() -> None:
    doc = toolbox()
    ops, _ = operations(doc)
    get_note = next(op for op in ops if op.name == "get_note")
    text = requirement_for(doc, get_note, ops, "notes and tools")
    assert "def get_note(noteId: str, format: Literal['json', 'html'] | None, state: dict)" in text
    assert "(404, None): No such note" in text
    assert 'state["notes"] maps each noteId (as a string)' in text
    convert = next(op for op in ops if op.name == "convert_temperature")
    assert 'state["notes"]' not in requirement_for(doc, convert, ops, "tools")  # only what its path names
    assert shape(doc, {"$ref": "#/components/schemas/Note"}) == (
        '{"text": string (maxLength 500), "lastEditedBy": string (optional), "noteId": string}'
    )


@pytest.mark.parametrize(
    ("code", "passes"),
    [
        (HANDLERS["convert_temperature"], True),
        ("def convert_temperature(body, state):\n    return 201, {'value': 1.0, 'unit': 'F'}\n", False),
        ("def convert_temperature(body, state):\n    return 200, {'value': 1.0}\n", False),
        ("def convert_temperature(body, state):\n    return {'value': 1.0, 'unit': 'F'}\n", False),
    ],
    ids=["right", "undocumented status", "missing required key", "no status"],
)
def test_contract_tests_hold_a_handler_to_the_document(box: Sandbox, code: str, passes: bool) -> None:
    doc = toolbox()
    ops, _ = operations(doc)
    op = next(op for op in ops if op.name == "convert_temperature")
    results = run_tests(box, code, contract_tests(doc, op), op.name)
    assert results and all(r.passed for r in results) is passes, [r.error for r in results]


@pytest.mark.parametrize(
    "code",
    [
        "def f(body, state):\n    return 200, eval(body['x'])\n",
        "import os\ndef f(body, state):\n    return 200, os.listdir('.')\n",
        "import subprocess\ndef f(body, state):\n    return 200, subprocess.run('ls', shell=True)\n",
        "from pickle import loads\ndef f(body, state):\n    return 200, loads(body)\n",
        "def f(body, state):\n    return 200, open('/etc/passwd').read()\n",
        "def f(body, state):\n    return 200, ().__class__.__mro__\n",
        "def f(body, state):\n    return 200, __import__('os').getcwd()\n",
    ],
    ids=["eval", "os", "subprocess", "pickle", "open", "dunder", "__import__"],
)
def test_unsafe_handler_code_is_refused(code: str) -> None:
    assert problems(code)


def test_plain_handler_code_and_the_safety_helpers_pass() -> None:
    assert problems(HANDLERS["count_words"]) == []
    escaped = (
        "import json\nfrom backend.safety import html\ndef f(body, state):\n    return 200, html(json.dumps(body))\n"
    )
    assert problems(escaped) == []


# ---------------------------------------------------------------- whole services


@pytest.fixture(scope="module")
def built(box: Sandbox, home: Path, tmp_path_factory: pytest.TempPathFactory) -> ServiceReport:
    out = tmp_path_factory.mktemp("toolbox")
    return build_service(
        toolbox(), out, home=home, requirement="notes and tools", writer=writer(box, HANDLERS), force=True, sandbox=box
    )


@pytest.fixture(scope="module")
def client(built: ServiceReport, home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    python = project_env(home, (built.folder / "requirements.txt").read_text(encoding="utf-8"))
    scratch = tmp_path_factory.mktemp("run")
    with serving(built.folder, python, data=scratch / "data", log_path=scratch / "app.log") as served:
        transport = httpx.HTTPTransport(uds=str(served.socket))
        with httpx.Client(transport=transport, base_url="http://app", timeout=30) as c:
            yield c


def test_a_service_with_every_handler_verified_is_done(built: ServiceReport) -> None:
    assert built.done, json.dumps(built.to_json(), indent=1)[:3000]
    assert built.missing == [] and {h.name for h in built.handlers} == set(HANDLERS)
    assert all(h.trusted >= 1 for h in built.handlers)  # a sample request from the document, uploads too
    report = json.loads((built.folder / "aigc-report.json").read_text(encoding="utf-8"))
    assert report["done"] is True and report["tests"]["failed"] == 0
    assert (built.folder / "Dockerfile").is_file() and "0.0.0.0" in (built.folder / "Dockerfile").read_text()


def test_the_served_app_answers_as_the_document_says(client: httpx.Client) -> None:
    converted = client.post("/convert", json={"value": 100, "unit": "C"})
    assert converted.status_code == 200 and converted.json() == {"value": 212.0, "unit": "F"}
    stored = client.post("/notes", json={"text": "hello", "lastEditedBy": "ann"})
    assert stored.status_code == 201 and stored.json()["lastEditedBy"] == "ann"  # camelCase kept, not renamed
    note = client.get(f"/notes/{stored.json()['noteId']}")
    assert note.status_code == 200 and note.json()["text"] == "hello"  # the state outlives the call
    assert client.get("/notes/nope").status_code == 404
    counted = client.post("/count-words", files={"file": ("a.txt", b"one two three", "text/plain")})
    assert (
        counted.status_code == 200 and counted.text == "3" and counted.headers["content-type"].startswith("text/plain")
    )


def test_the_served_app_refuses_bad_requests_with_the_documents_codes(client: httpx.Client) -> None:
    assert client.post("/convert", json={"value": 1}).status_code == 400  # the document lists 400
    assert client.post("/convert", json={"value": 1e9, "unit": "C"}).status_code == 400  # past its maximum
    assert client.post("/notes", json={"text": "x" * 501}).status_code == 400
    assert client.post("/count-words", data={"other": "x"}).status_code == 400  # the upload is missing
    assert client.get("/notes/1", params={"format": "xml"}).status_code == 422  # 422 where it lists no 400
    too_big = client.post(
        "/notes", content=b"{" + b" " * (11 * 1024 * 1024) + b"}", headers={"content-type": "application/json"}
    )
    assert too_big.status_code == 413
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("a.txt", "x")
    binary = client.post("/count-words", files={"file": ("a.zip", b"\xff\xfe" + zipped.getvalue(), "application/zip")})
    assert binary.status_code == 400  # the handler's own refusal of bytes that are not text


def test_a_handler_that_breaks_its_contract_gets_a_500_that_shows_nothing(
    box: Sandbox, home: Path, tmp_path: Path
) -> None:
    leaky = dict(HANDLERS)
    leaky["convert_temperature"] = "def convert_temperature(body, state):\n    return 418, {'secret': 'k'}\n"
    leaky["add_note"] = "def add_note(body, state):\n    raise RuntimeError('db password is hunter2')\n"
    doc = toolbox()
    ops, models = operations(doc)
    out = tmp_path / "leaky"
    files = render_service(doc, ops, models, leaky, document_checks(doc, ops), title="t", requirement="")
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    python = project_env(home, files["requirements.txt"])
    with (
        serving(out, python, data=tmp_path / "data", log_path=tmp_path / "app.log") as served,
        httpx.Client(transport=httpx.HTTPTransport(uds=str(served.socket)), base_url="http://app") as c,
    ):
        undocumented = c.post("/convert", json={"value": 1, "unit": "C"})
        crashed = c.post("/notes", json={"text": "a"})
    assert undocumented.status_code == 500 and "secret" not in undocumented.text
    assert crashed.status_code == 500 and "hunter2" not in crashed.text


def test_a_service_without_handlers_is_not_done_and_says_what_is_missing(
    box: Sandbox, home: Path, tmp_path: Path
) -> None:
    report = build_service(toolbox(), tmp_path / "bare", home=home, sandbox=box)
    assert not report.done
    assert report.missing == ["POST /convert", "POST /notes", "GET /notes/{noteId}", "POST /count-words"]
    assert report.started  # the routes answer 501, and the app itself runs


def test_unsafe_model_code_is_not_built(box: Sandbox, home: Path, tmp_path: Path) -> None:
    unsafe = dict(HANDLERS)
    unsafe["convert_temperature"] = (
        "def convert_temperature(body, state):\n"
        "    return 200, {'value': eval(str(body['value'])) * 9 / 5 + 32, 'unit': 'F'}\n"
    )
    doc = toolbox()
    doc["components"]["securitySchemes"] = {"key": {"type": "http", "scheme": "basic"}}  # one the app cannot check
    doc["paths"]["/notes/{noteId}"]["get"]["security"] = [{"key": []}]
    report = build_service(doc, tmp_path / "unsafe", home=home, writer=writer(box, unsafe), sandbox=box)
    outcome = next(h for h in report.handlers if h.name == "convert_temperature")
    assert outcome.code is None and "eval" in outcome.why
    guarded = next(h for h in report.handlers if h.name == "get_note")  # never served without its login
    assert guarded.code is None and "security schemes" in guarded.why
    assert not report.done and report.missing == ["POST /convert", "GET /notes/{noteId}"]
    assert not (tmp_path / "unsafe" / "backend" / "handlers" / "convert_temperature.py").exists()


def test_an_app_environment_cannot_steer_the_loader(home: Path, tmp_path: Path) -> None:
    python = project_env(home, helper_requirements())
    with (
        pytest.raises(ProjectRunError, match="upper-case names"),
        serving(tmp_path, python, data=tmp_path / "d", log_path=tmp_path / "l", env={"LD_PRELOAD": "/tmp/x.so"}),
    ):
        pass


def test_aigc_new_builds_a_document_the_templates_cannot_and_says_not_done_without_a_model(tmp_path: Path) -> None:
    r = run_aigc("new", "--openapi", str(TOOLBOX), "--no-rules", "-o", str(tmp_path / "svc"), "--json")
    assert r.returncode == 1, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert report["done"] is False and len(report["missing"]) == 4 and report["started"] is True
    spec_only = run_aigc("new", "--openapi", str(TOOLBOX), "--spec-only")
    assert spec_only.returncode == 2 and "built as a service" in spec_only.stderr
