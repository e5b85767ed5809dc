"""`aigc new` end to end as a user runs it (scripted engine for the requirement path)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from tests.conftest import run_aigc
from tests.project.specs import TODO
from tests.project.test_draft import REQ, draft
from tests.project.test_openapi import BOOKSHOP, SECURED_BOOKSHOP


def fake(tmp_path: Path, *replies: str) -> dict[str, str]:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(replies)))
    return {"AIGC_ENGINE": "fake", "AIGC_FAKE_REPLIES": str(path)}


def test_requirement_to_a_done_project_with_a_report(tmp_path: Path) -> None:
    out = tmp_path / "regapp"
    r = run_aigc("new", REQ, "-o", str(out), env=fake(tmp_path, json.dumps(draft())))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "writing the spec" in r.stderr and "running the project's tests" in r.stderr  # progress per stage
    assert "POST" in r.stdout and "/api/register" in r.stdout and "done" in r.stdout
    report = json.loads((out / "aigc-report.json").read_text())
    assert report["done"] and report["source"] == "requirement" and report["tests"]["failed"] == 0
    # An existing, non-empty folder is refused (before any model time), unless --force.
    again = run_aigc("new", REQ, "-o", str(out), env=fake(tmp_path, json.dumps(draft())))
    assert again.returncode == 2 and "not empty" in again.stderr and "--force" in again.stderr


def test_spec_only_prints_the_spec_and_an_edited_spec_builds(tmp_path: Path) -> None:
    r = run_aigc("new", REQ, "--spec-only", "--json", env=fake(tmp_path, json.dumps(draft())))
    assert r.returncode == 0, r.stderr
    spec = json.loads(r.stdout)
    assert spec["entities"][0]["name"] == "User"
    spec["entities"][0]["fields"].append({"name": "email", "type": "email", "required": False})
    edited = tmp_path / "appspec.json"
    edited.write_text(json.dumps(spec, ensure_ascii=False))
    out = tmp_path / "app"
    built = run_aigc("new", "--spec", str(edited), "-o", str(out), "--json")
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert report["done"] and "email" in (out / "backend" / "schemas.py").read_text()


def test_openapi_document_builds_and_bad_input_is_refused(tmp_path: Path) -> None:
    r = run_aigc("new", "--openapi", str(BOOKSHOP), "-o", str(tmp_path / "shop"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "/books/{bookId}" in r.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.0\npaths:\n  /a: [\n")
    bad = run_aigc("new", "--openapi", str(broken), "-o", str(tmp_path / "x"))
    assert bad.returncode == 2 and "broken.yaml:" in bad.stderr and "Traceback" not in bad.stderr
    gui = run_aigc("new", "a desktop GUI to edit photos", "-o", str(tmp_path / "gui"), env={"AIGC_ENGINE": "fake"})
    assert gui.returncode == 2 and "web applications" in gui.stderr
    assert run_aigc("new", "   ", "-o", str(tmp_path / "e"), env={"AIGC_ENGINE": "fake"}).returncode == 2
    both = run_aigc("new", "--spec", str(BOOKSHOP), "--openapi", str(BOOKSHOP), "-o", str(tmp_path / "b"))
    assert both.returncode == 2 and "give one of" in both.stderr


def test_run_serves_the_app_on_loopback_until_ctrl_c(tmp_path: Path) -> None:
    spec = tmp_path / "todo.json"
    spec.write_text(TODO.model_dump_json())
    out = tmp_path / "todo"
    with subprocess.Popen(
        [sys.executable, "-m", "aigc", "new", "--spec", str(spec), "-o", str(out), "--run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as proc:
        try:
            url = _served_url(proc)
            _use_the_app(url, out)
            # The proxy in front of the sandboxed app answers only for loopback's names (DNS rebinding).
            assert httpx.get(url + "api/health", headers={"Host": "evil.example"}, timeout=10).status_code == 421
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:  # a failed assertion above must not leave the server running
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130
    try:
        httpx.get(url, timeout=2)
        still_up = True
    except httpx.HTTPError:
        still_up = False
    assert not still_up


def _served_url(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stdout is not None and proc.stderr is not None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line and proc.poll() is not None:
            break
        if line.startswith("serving "):
            return line.split(" at ")[1].split()[0]
    raise AssertionError(proc.stderr.read().decode() or "no output")


def _use_the_app(url: str, out: Path) -> None:
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "app.js" in page.text
    user = {"username": "carol", "password": "Long-enough-1"}
    assert httpx.post(url + "api/auth/register", json=user, timeout=10).status_code == 201
    token = httpx.post(url + "api/auth/login", json=user, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    made = httpx.post(url + "api/tasks", json={"title": "write tests", "done": False}, headers=headers, timeout=10)
    assert made.status_code == 201
    assert (out / "data" / "app.db").exists()  # the data lives in the project folder


def test_a_spec_with_a_rule_gets_a_verified_check_and_no_rules_leaves_it_words(tmp_path: Path) -> None:
    """--spec with a rule that has no check: the model (scripted) writes it, it is verified and wired in;
    --no-rules builds the same spec without asking the model, and says so."""
    from tests.project.specs import DISCOUNT_CHECK
    from tests.project.test_rules import MODEL_TESTS, RULE, bare_shop

    spec = tmp_path / "shop.json"
    spec.write_text(bare_shop([RULE]).model_dump_json())
    code = f"```python\n{DISCOUNT_CHECK}```"
    replies = fake(tmp_path, *[code] * 5, MODEL_TESTS)
    r = run_aigc("new", "--spec", str(spec), "-o", str(tmp_path / "shop"), "--json", env=replies)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    (rule,) = report["rules"]
    assert rule["status"] == "enforced" and rule["function"] == "check_product"
    assert rule["verification"]["passed"] and report["rules_tokens"] > 0
    passed = {t["name"] for t in report["tests"]["results"] if t["passed"]}
    assert "test_rule_check_product_is_enforced_by_the_api" in passed
    assert (tmp_path / "shop" / "backend" / "checks" / "check_product.py").is_file()
    assert "writing the check for: " + RULE in r.stderr  # progress

    plain = run_aigc("new", "--spec", str(spec), "-o", str(tmp_path / "plain"), "--no-rules", "--json")
    assert plain.returncode == 0, plain.stderr
    (rule,) = json.loads(plain.stdout)["rules"]
    assert rule["status"] == "not enforced" and "no model was asked" in rule["why"]
    assert not (tmp_path / "plain" / "backend" / "checks").exists()


def test_a_document_the_templates_build_only_in_part_is_not_done(tmp_path: Path) -> None:
    """A service could build no more of it than the templates (the rest needs HTTP basic, which neither
    checks), so the templates build it: the operation they leave out is listed, and it is not called done."""
    doc = yaml.safe_load(SECURED_BOOKSHOP.read_text())
    doc["components"]["securitySchemes"]["basicAuth"] = {"type": "http", "scheme": "basic"}
    doc["paths"]["/books"]["put"] = {  # a bulk replace: neither list nor create
        "operationId": "replaceBooks",
        "security": [{"basicAuth": []}],
        "responses": {"204": {"description": "replaced"}},
    }
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(doc))
    r = run_aigc("new", "--openapi", str(path), "-o", str(tmp_path / "shop"), env={"COLUMNS": "200"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not built (1 operations" in r.stderr and "PUT /books" in r.stderr
    report = json.loads((tmp_path / "shop" / "aigc-report.json").read_text())
    assert report["source"] == "openapi" and report["tests"]["failed"] == 0 and report["probe"]["ok"]
    assert not report["done"] and report["missing"][0].startswith("PUT /books ")


def test_the_real_petstore_document_is_built_as_a_service_with_its_secured_operations_authenticated(
    tmp_path: Path,
) -> None:
    """Petstore: a service builds all 20 operations, the templates 8; its API key and OAuth 2 schemes are
    ones the app checks, so the 9 operations behind them get the routes' authentication. Without a model
    (--no-rules) no handler is written, and it says so."""
    from tests.project.test_openapi import PETSTORE

    r = run_aigc("new", "--openapi", str(PETSTORE), "--no-rules", "-o", str(tmp_path / "pets"), "--json")
    assert r.returncode == 1, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert not report["done"] and len(report["missing"]) == 20 and report["started"]
    assert all("no model" in h["why"] for h in report["handlers"])
    main = (tmp_path / "pets" / "backend" / "main.py").read_text(encoding="utf-8")
    assert main.count("= service.authenticator(") == 9
    assert 'service.Scheme("header", "api_key")' in main and 'service.Scheme("bearer", "Authorization")' in main
