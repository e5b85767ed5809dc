"""Generated projects, built from specs of different shapes, pass their own tests in the real sandbox
and answer every endpoint when started (probe). These run no model: the templates are what is tested."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigc.project.openapi import spec_from_openapi
from aigc.project.pipeline import build_project
from aigc.project.spec import AppSpec
from aigc.sandbox import Sandbox
from tests.project.specs import BLOG, EVENTS, FORUM, REGISTRATION, SHOP, TODO
from tests.project.test_openapi import BOOKSHOP, PETSTORE, PETSTORE_EXPANDED, SECURED_BOOKSHOP


@pytest.mark.parametrize(
    "spec",
    [
        REGISTRATION,
        TODO,
        BLOG,
        EVENTS,
        SHOP,
        FORUM,
        *map(spec_from_openapi, (BOOKSHOP, PETSTORE, PETSTORE_EXPANDED, SECURED_BOOKSHOP)),
    ],
    ids=lambda s: s.name,
)
def test_project_passes_its_tests_and_answers_every_endpoint(
    spec: AppSpec, box: Sandbox, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "app"
    report = build_project(spec, out, home=home, source="spec", sandbox=box)
    assert report.checks_passed, {f: c["findings"] for f, c in report.checks.items() if not c["passed"]}
    assert report.tests is not None and report.tests.ok, report.tests.output if report.tests else None
    assert report.tests.passed >= 10
    assert report.probe is not None and report.probe.ok, report.probe
    assert {(ep.method, ep.path) for ep in spec.endpoints} <= {(s["method"], s["path"]) for s in report.probe.steps}
    assert report.done == (not report.missing)  # petstore's operations the templates leave out
    saved = json.loads((out / "aigc-report.json").read_text())
    assert saved["done"] == report.done and saved["missing"] == report.missing and saved["tests"]["failed"] == 0
    assert (out / "README.md").is_file() and (out / "frontend" / "index.html").is_file()


def test_a_broken_project_is_reported_not_done(box: Sandbox, home: Path, tmp_path: Path) -> None:
    """The report must not claim what it did not prove: break the app after writing, and check again."""
    from aigc.project.probe import build_plan, probe
    from aigc.project.runner import project_env, run_tests

    out = tmp_path / "app"
    build_project(REGISTRATION, out, home=home, source="spec", sandbox=box)
    routes = out / "backend" / "routes.py"
    routes.write_text(routes.read_text().replace("commit(db, 409)", "db.commit()"))  # uniqueness -> a 500
    python = project_env(home, (out / "requirements.txt").read_text())
    tests = run_tests(out, python, box)
    assert not tests.ok and any("duplicate" in o.name and not o.passed for o in tests.outcomes)
    probed = probe(out, build_plan(REGISTRATION), python, box)
    assert probed.started and not probed.ok
    assert any(s["note"] == "duplicate refused" and s["status"] == 500 for s in probed.steps)


def test_registration_stores_no_plaintext_password(box: Sandbox, home: Path, tmp_path: Path) -> None:
    """Run the generated app's own database code outside the tests: the stored value is an scrypt hash."""
    out = tmp_path / "app"
    build_project(REGISTRATION, out, home=home, source="spec", sandbox=box)
    from aigc.project.runner import project_env, project_files

    python = project_env(home, (out / "requirements.txt").read_text())
    script = (
        "import os, sqlite3\n"
        "from fastapi.testclient import TestClient\n"
        "from backend.main import app\n"
        "with TestClient(app) as c:\n"
        "    first = c.post('/api/register', json={'username': 'alice', 'password': 'Secret-pass-1'})\n"
        "    assert first.status_code == 201\n"
        "    r = c.post('/api/register', json={'username': 'alice', 'password': 'other-pass-22'})\n"
        "    print(r.status_code, r.json()['error']['message'])\n"
        "row = sqlite3.connect(os.environ['APP_DATABASE_PATH']).execute('select * from users').fetchall()\n"
        "print(row)\n"
    )
    files = {**project_files(out), "check.py": script}
    result = box.run(
        ["/usr/bin/env", "APP_DATABASE_PATH=db/app.db", str(python), "check.py"], files, extra_ro=[python.parent.parent]
    )
    assert result.ok, result.stderr
    assert "409 用户名已存在" in result.stdout
    assert "Secret-pass-1" not in result.stdout and "scrypt$16384$8$1$" in result.stdout


def test_a_project_environment_that_no_longer_works_is_made_again(tmp_path: Path) -> None:
    """An environment whose link to aigc's packages is stale (the CI failure of a shared ~/.cache) is remade."""
    import subprocess

    from aigc.project.runner import project_env

    python = project_env(tmp_path, "fastapi\n")
    (pth,) = python.parent.parent.glob("lib/python*/site-packages/aigc-runtime.pth")
    pth.write_text("/nonexistent/site-packages\n")
    assert subprocess.run([str(python), "-c", "import uvicorn"], capture_output=True).returncode != 0
    again = project_env(tmp_path, "fastapi\n")
    assert again == python
    assert subprocess.run([str(again), "-c", "import fastapi, uvicorn"], capture_output=True).returncode == 0
