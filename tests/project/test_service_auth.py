"""Security schemes in services (issue 15): tokens and sessions from backend/safety.py, the routes'
authentication, CSRF refusal, the sign-in throttle and hashed passwords, checked on the helpers directly
and on a service built from tests/data/openapi/accounts.yaml with a scripted model, served in the real
sandbox and attacked over HTTP."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from aigc.project.app_helpers import safety
from aigc.project.doc_checks import document_checks
from aigc.project.handlers import contract_tests, problems, requirement_for
from aigc.project.operations import operations, security_schemes
from aigc.project.runner import project_env, serving
from aigc.project.service import render_service
from aigc.project.service_build import ServiceReport, build_service
from aigc.sandbox import Sandbox
from tests.project.test_service import writer

ACCOUNTS = Path(__file__).parent.parent / "data" / "openapi" / "accounts.yaml"
HANDLERS = {
    "register": """from backend.safety import hash_password


def register(body, state):
    users = state.setdefault("users", {})
    if body["username"] in users:
        return 409, None
    users[body["username"]] = hash_password(body["password"])
    return 201, {"username": body["username"]}
""",
    "login": """from backend.safety import check_password, issue_token


def login(body, state):
    stored = state.get("users", {}).get(body["username"])
    if stored is None or not check_password(body["password"], stored):
        return 401, None
    return 200, {"token": issue_token(body["username"])}
""",
    "open_session": """from backend import safety


def open_session(body, state):
    stored = state.get("users", {}).get(body["username"])
    if stored is None or not safety.check_password(body["password"], stored):
        return 401, None
    safety.start_session(body["username"])
    return 204, None
""",
    "me": "def me(current_user, state):\n    return 200, {'username': current_user}\n",
    "add_note": """def add_note(body, current_user, state):
    state.setdefault("notes", {}).setdefault(current_user, []).append(body["text"])
    return 201, {"text": body["text"], "owner": current_user}
""",
}
TESTS = {
    "register": (
        "s = {}\nassert register({'username': 'a', 'password': 'pw1'}, s)[0] == 201\nassert 'pw1' not in str(s)"
    ),
    "login": "assert login({'username': 'a', 'password': 'b'}, {}) == (401, None)",
    "open_session": "assert open_session({'username': 'a', 'password': 'b'}, {}) == (401, None)",
    "me": "assert me('ann', {}) == (200, {'username': 'ann'})",
    "add_note": "assert add_note({'text': 'x'}, 'ann', {})[1]['owner'] == 'ann'",
}


def accounts() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(ACCOUNTS.read_text(encoding="utf-8"))
    return doc


# ---------------------------------------------------------------- the helpers


def test_a_token_names_its_subject_and_nothing_else_passes() -> None:
    token = safety.issue_token("ann")
    assert safety.read_token(token) == "ann"
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other = base64.urlsafe_b64encode(json.dumps(claims | {"sub": "admin"}).encode()).rstrip(b"=").decode()
    assert safety.read_token(f"{header}.{other}.{signature}") is None  # a changed subject
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    assert safety.read_token(f"{none}.{payload}.") is None  # alg "none"
    for junk in ("", "a.b", "a.b.c", "é.é.é", token + "x", None, 12, "." * 5000):
        assert safety.read_token(junk) is None


def test_an_expired_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    token = safety.issue_token("ann")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + safety.TOKEN_TTL_S + 1)
    assert safety.read_token(token) is None


def test_passwords_are_salted_hashes_checked_in_constant_time() -> None:
    first, second = safety.hash_password("hunter2"), safety.hash_password("hunter2")
    assert first != second and "hunter2" not in first  # salted
    assert safety.check_password("hunter2", first) and not safety.check_password("hunter3", first)
    for stored in ("", "hunter2", "scrypt$$", "scrypt$!!$!!", "md5$a$b"):
        assert not safety.check_password("hunter2", stored)
    with pytest.raises(safety.Refused):
        safety.hash_password("x" * 5000)


# ---------------------------------------------------------------- what the model is asked and held to


def test_the_document_s_schemes_the_app_checks_and_those_it_cannot() -> None:
    checked, refused = security_schemes(accounts())
    assert checked == {"bearerAuth": ("bearer", "Authorization"), "cookieAuth": ("cookie", "sid")}
    assert "basic" in refused["basicAuth"].lower()


def test_a_secured_handler_gets_its_caller_and_sign_in_is_told_to_use_the_helpers() -> None:
    doc = accounts()
    ops, _ = operations(doc)
    by_name = {op.name: op for op in ops}
    me = requirement_for(doc, by_name["me"], ops, "accounts")
    assert "def me(current_user: str, state: dict)" in me
    login = requirement_for(doc, by_name["login"], ops, "accounts")
    assert "issue_token" in login and "start_session" in login and "hash_password" in login
    contract = contract_tests(doc, by_name["add_note"])[0].code
    assert "'current_user': 'user-1'" in contract


def test_a_handler_that_keeps_a_password_as_it_is_is_refused() -> None:
    plain = (
        "def register(body, state):\n    state['users'] = {body['username']: body['password']}\n    return 201, {}\n"
    )
    assert any("password" in p for p in problems(plain, passwords=True))
    assert problems(HANDLERS["register"], passwords=True) == []
    assert problems(HANDLERS["open_session"], passwords=True) == []  # through the module, too


def test_secured_routes_are_checked_without_and_with_a_forged_credential() -> None:
    doc = accounts()
    ops, models = operations(doc)
    checks = document_checks(doc, ops)
    names = {(c.operation, c.name): c for c in checks.checks}
    assert names[("POST /notes", "no credential")].expect == (401,)
    forged = names[("GET /me", "a forged credential")]
    assert forged.forged and forged.credential == ("bearer", "Authorization")
    main = render_service(doc, ops, models, HANDLERS, checks, title="t", requirement="")["backend/main.py"]
    assert "SESSION = 'sid'" in main and "Depends(AUTH_me)" in main
    compile(main, "main.py", "exec")


# ---------------------------------------------------------------- a whole service, attacked


@pytest.fixture(scope="module")
def built(box: Sandbox, home: Path, tmp_path_factory: pytest.TempPathFactory) -> ServiceReport:
    out = tmp_path_factory.mktemp("accounts")
    return build_service(accounts(), out, home=home, writer=writer(box, HANDLERS, TESTS), force=True, sandbox=box)


@pytest.fixture(scope="module")
def served(
    built: ServiceReport, home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, Path]]:
    python = project_env(home, (built.folder / "requirements.txt").read_text(encoding="utf-8"))
    scratch = tmp_path_factory.mktemp("run")
    with serving(built.folder, python, data=scratch / "data", log_path=scratch / "app.log") as app:
        transport = httpx.HTTPTransport(uds=str(app.socket))
        with httpx.Client(transport=transport, base_url="http://app", timeout=30) as c:
            yield c, scratch / "data"


def test_every_operation_but_the_unchecked_scheme_s_is_built_and_verified(built: ServiceReport) -> None:
    report = built.to_json()
    assert built.missing == ["GET /admin"], json.dumps(report, indent=1)[:3000]
    admin = next(h for h in built.handlers if h.name == "admin")
    assert "basic" in admin.why.lower()
    assert not built.done  # a part not built is not done
    assert built.tests is not None and built.started, json.dumps(report, indent=1)[:3000]
    failed = [o.name for o in built.tests.outcomes if not o.passed]
    assert failed == ["test_document[GET /admin: a valid request]"], built.tests.output[-3000:]  # it answers 501
    assert sum(o.passed for o in built.tests.outcomes if "credential]" in o.name) == 4  # /me, /notes: each twice
    assert all(h.trusted >= 1 for h in built.handlers if h.code is not None)


def test_a_bearer_token_from_sign_in_opens_what_it_secures(served: tuple[httpx.Client, Path]) -> None:
    client, data = served
    assert client.post("/register", json={"username": "ann", "password": "s3cret-pw"}).status_code == 201
    token = client.post("/login", json={"username": "ann", "password": "s3cret-pw"}).json()["token"]
    me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json() == {"username": "ann"}
    bare = client.get("/me")
    assert bare.status_code == 401 and bare.headers.get("www-authenticate") == "Bearer"
    header, payload, _ = token.split(".")
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    for forged in (f"{none}.{payload}.", f"{header}.{payload}.AAAA", "ann"):
        assert client.get("/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get("/admin").status_code == 501  # not built: never served without its scheme
    assert client.post("/notes", json={"text": "x"}, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with sqlite3.connect(data / "app.db") as db:
        kept = " ".join(row[0] for row in db.execute("SELECT value FROM state"))
    assert "ann" in kept and "s3cret-pw" not in kept  # only the salted hash is kept


def test_a_session_cookie_is_httponly_and_refused_from_another_site(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    client.post("/register", json={"username": "bob", "password": "pw-of-bob"})
    opened = client.post("/session", json={"username": "bob", "password": "pw-of-bob"})
    assert opened.status_code == 204
    cookie = opened.headers["set-cookie"].lower()
    assert cookie.startswith("sid=") and "httponly" in cookie and "samesite=lax" in cookie
    sid = opened.cookies["sid"]
    client.cookies.clear()  # each request below sends only the cookie it names
    jar = {"Cookie": f"sid={sid}"}
    assert client.get("/me", headers=jar).json() == {"username": "bob"}
    assert client.post("/notes", json={"text": "hi"}, headers=jar).json() == {"text": "hi", "owner": "bob"}
    evil = client.post("/notes", json={"text": "csrf"}, headers=jar | {"Origin": "http://evil.example"})
    assert evil.status_code == 403
    fetched = client.post("/notes", json={"text": "csrf"}, headers=jar | {"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    same = client.post("/notes", json={"text": "ok"}, headers=jar | {"Origin": "http://app"})
    assert same.status_code == 201
    assert client.post("/notes", json={"text": "x"}).status_code == 401


def test_sign_in_is_throttled_after_repeated_failures(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    client.post("/register", json={"username": "cy", "password": "right-pw"})
    codes = [client.post("/login", json={"username": "cy", "password": f"guess{i}"}).status_code for i in range(10)]
    assert codes == [401] * 10
    assert client.post("/login", json={"username": "cy", "password": "right-pw"}).status_code == 429
    assert client.post("/register", json={"username": "dee", "password": "pw"}).status_code == 201  # others go on
