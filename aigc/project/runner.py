"""Install, test, start and probe a generated project; the project's code runs only in the sandbox.

The environment is one virtual environment reused across projects (<aigc home>/project-env/<key>). It
sees aigc's own packages through a .pth file (aigc depends on the generated apps' stack, so a fresh project
needs no download); pip adds what a project asks for beyond that, into the environment itself. The key is
a digest of aigc's own site-packages path, so two installations of aigc (a checkout and a clean clone in
CI, say) never share an environment whose .pth points into the other one.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as defused
import httpx
from defusedxml import DefusedXmlException

from aigc.errors import AigcError
from aigc.project import files
from aigc.sandbox import Limits, Sandbox

TEST_LIMITS = Limits(timeout_s=300, cpu_s=300, memory_mb=2048, processes=256, output_bytes=2_000_000)


class ProjectEnvError(AigcError):
    """The environment for generated projects could not be made or could not install a requirement."""


class ProjectRunError(AigcError):
    """A generated app did not start when asked to serve."""


def project_env(home: Path, requirements: str, on_event: Callable[[str], None] | None = None) -> Path:
    """The python of the shared project environment, with `requirements` installed; made on first use."""
    runtime = sysconfig.get_paths()["purelib"]
    root = home / "project-env" / hashlib.sha256(runtime.encode()).hexdigest()[:12]
    python = root / "bin" / "python"
    if not _works(python):
        (on_event or (lambda _: None))(f"creating the project environment {root}")
        _run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(root)], "create the project environment")
        site = Path(_ask(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])"))
        site.mkdir(parents=True, exist_ok=True)
        (site / "aigc-runtime.pth").write_text(runtime + "\n", encoding="utf-8")
    stamp = root / f".requirements-{hashlib.sha256(requirements.encode()).hexdigest()[:16]}"
    if not stamp.exists():
        (on_event or (lambda _: None))("installing the project's requirements")
        req = root / "requirements.txt"
        req.write_text(requirements, encoding="utf-8")
        _run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "-r", str(req)],
            "install the project's requirements (pip needs the package index for what aigc lacks)",
        )
        stamp.touch()
    return python


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ProjectEnvError(f"could not {what}: {' / '.join(tail)}")


def _works(python: Path) -> bool:
    """The environment exists and its interpreter still runs (its base Python may have been removed)."""
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", "import fastapi, uvicorn"], capture_output=True, check=False)
    return probe.returncode == 0


def _ask(python: Path, code: str) -> str:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@dataclass(frozen=True)
class TestOutcome:
    name: str
    passed: bool
    error: str = ""


@dataclass(frozen=True)
class TestRun:
    status: str  # the sandbox's: ok, failed, timeout, memory, killed
    outcomes: list[TestOutcome]
    seconds: float
    output: str  # the tail of pytest's output, for the report and for repair

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.passed for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.outcomes) and self.failed == 0


JUNIT = "_aigc_junit.xml"


def parse_junit(xml: bytes) -> list[TestOutcome]:
    """Outcomes from pytest's JUnit XML report (written by code the sandbox ran: parsed with defusedxml, so
    no entities or DTDs). A test's name is as pytest's node id has it after the file: `test_x[1]`, or
    `TestY::test_x` in a class. Modules that failed to import are not tests, as in pytest's summary."""
    try:
        root = defused.fromstring(xml)
    except (defused.ParseError, DefusedXmlException):
        return []
    outcomes: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        module_path = case.get("classname", "")
        if not module_path:
            continue
        last = module_path.rsplit(".", 1)[-1]
        name = f"{last}::{case.get('name', '')}" if last[:1].isupper() else case.get("name", "")
        if case.find("skipped") is not None:
            continue
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        error = "" if problem is None else (problem.get("message") or problem.text or "").strip()
        outcomes[name] = TestOutcome(name, problem is None, error[:500])
    return list(outcomes.values())


def project_files(folder: Path) -> dict[str, str | bytes]:
    """The project's plain files (links are never followed), without its report and runtime folders."""
    return {name: data for name, data in files.contents(folder).items() if name != "aigc-report.json"}


def run_tests(folder: Path, python: Path, sandbox: Sandbox) -> TestRun:
    """The project's pytest suite in the sandbox (no network but its own loopback)."""
    result = sandbox.run(
        [str(python), "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider", f"--junitxml={JUNIT}", "tests"],
        project_files(folder),
        limits=TEST_LIMITS,
        extra_ro=[python.parent.parent],
        outputs=(JUNIT,),
    )
    output = result.stdout + result.stderr
    outcomes = parse_junit(result.files[JUNIT]) if JUNIT in result.files else []
    return TestRun(result.status, outcomes, result.duration_s, output[-6000:])


@dataclass(frozen=True)
class Served:
    socket: Path  # the app's HTTP server: a unix socket the host made; the sandbox itself has no network
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def serving(
    folder: Path,
    python: Path,
    *,
    data: Path,
    log_path: Path,
    token_auth: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """The project's app in the sandbox until the block ends: a copy of the project's files, `data` as its
    writable data/ folder, no network, HTTP on a unix socket in a folder only the host can write. The host
    reads nothing the app could have written: not the project folder (the app never sees it), not `data`
    (the caller never reads it), only the socket. `env`: more of the app's environment (upper-case names,
    none that steers the loader or Python; aigc's own settings win). Raises when the app does not answer
    within a minute."""
    extra = dict(env or {})
    if not all(_app_variable(k) for k in extra):
        raise ProjectRunError("an app's environment takes upper-case names, none of PATH, HOME, LD_* or PYTHON*")
    runtime = Path(tempfile.mkdtemp(prefix="aigc-app-"))  # mode 0700; never bound into the sandbox
    work = runtime / "work"
    for name, content in project_files(folder).items():
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (work / "data").mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    env = {**extra, "APP_DATABASE_PATH": "data/app.db"}
    if token_auth:
        env["APP_SECRET_KEY"] = secrets.token_urlsafe(32)  # a fresh secret: tokens end with the run
    sock_path = runtime / "app.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(128)
    box = Sandbox(Limits(memory_mb=1024, processes=256))
    argv = [str(python), "-m", "uvicorn", "backend.main:app", "--fd", str(listener.fileno())]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(log_fd, "ab") as log:
            proc = box.spawn(
                argv,
                work,
                log_file=log,
                extra_env=env,
                extra_ro=[python.parent.parent],
                writable={"data": data},
                pass_fds=(listener.fileno(),),
            )
            try:
                _wait_healthy(
                    proc, httpx.Client(transport=httpx.HTTPTransport(uds=str(sock_path)), timeout=1), log_path
                )
                yield Served(sock_path, proc, log_path)
            finally:
                box.stop(proc)
    finally:
        listener.close()
        shutil.rmtree(runtime, ignore_errors=True)


def _app_variable(name: str) -> bool:
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,63}", name):
        return False
    return name not in ("PATH", "HOME", "TMPDIR", "SHELL") and not name.startswith(("LD_", "PYTHON"))


@contextmanager
def serving_project(
    folder: Path,
    home: Path,
    *,
    data: Path,
    log_path: Path,
    token_auth: bool = False,
    env: dict[str, str] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> Iterator[Served]:
    """`serving` in the shared project environment, installed from the requirements.txt the host wrote
    when it built the project (read without following links)."""
    requirements = files.read(folder, "requirements.txt").decode("utf-8")
    python = project_env(home, requirements, on_event)
    with serving(folder, python, data=data, log_path=log_path, token_auth=token_auth, env=env) as served:
        yield served


def _wait_healthy(proc: subprocess.Popen[bytes], client: httpx.Client, log_path: Path) -> None:
    with client:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if client.get("http://app/api/health").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
    raise ProjectRunError(f"the app did not start; its log: {log_path}")
