"""Files and tools for a handler, safely (copied into generated apps as backend/safety.py; stdlib only).

- `inside(base, name)`: a path under `base` for a name a client sent, or Refused: no absolute paths, no
  `..`, no NUL or backslash, and no symlink on the way (CWE-22, CWE-59).
- `scratch()`: a fresh private directory for one request, removed afterwards.
- `run_tool(argv, ...)`: a program run from an argument list (never a shell, so `; rm -rf /` is just an
  argument: CWE-78), with a timeout that kills its whole process group, capped output and input, and an
  environment of PATH, LANG and HOME only, so the app's secrets do not reach it (CWE-400, CWE-214).
- `html(text)`: text for HTML, escaped (CWE-79); `loggable(text)`: text for one log line, with line
  breaks and control characters escaped (CWE-117).
- `hash_password(password)` / `check_password(password, stored)`: passwords kept only as salted scrypt
  hashes, compared in constant time (CWE-256, CWE-916).
- `issue_token(subject)`: a signed token (a JWT, HS256) naming who signed in, for a bearer or API-key
  scheme; the app's routes check it with `read_token` (CWE-287). `start_session(subject)` /
  `end_session()`: sign the caller in or out with the app's session cookie (cookie schemes). The key is
  APP_SECRET_KEY, else one drawn when the app starts (tokens then last until it restarts).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import hashlib
import hmac
import html as _html
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_NAME = 255
TOOL_ENV_KEYS = ("PATH", "LANG", "HOME")
MAX_PASSWORD = 1024
MAX_TOKEN = 4096
TOKEN_TTL_S = int(os.environ.get("APP_TOKEN_TTL_S", str(12 * 3600)))
_SECRET = os.environ.get("APP_SECRET_KEY", "").encode("utf-8") or secrets.token_bytes(32)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Refused(ValueError):
    """A name or an argument the helpers will not use; the message says why (safe to show a client)."""


def inside(base: Path, name: str) -> Path:
    """`base / name` for a client's relative name, refused unless it stays under `base` without links."""
    if not name or len(name) > MAX_NAME * 4 or "\0" in name or "\\" in name:
        raise Refused("a relative path of plain names is expected")
    parts = name.split("/")  # not PurePosixPath: it drops "." and empty parts instead of refusing them
    if any(p in ("", ".", "..") for p in parts) or any(len(p) > MAX_NAME for p in parts):
        raise Refused("the path must stay inside its folder")
    path = base
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise Refused("the path goes through a link")
    resolved = path.resolve()
    if resolved != base.resolve() and base.resolve() not in resolved.parents:
        raise Refused("the path must stay inside its folder")
    return path


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A new directory only this process can read, removed when the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="req-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class ToolResult:
    returncode: int | None  # None when it was killed for the time limit
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool  # the output passed max_output: the tool was stopped there


def run_tool(
    argv: list[str],
    *,
    cwd: Path,
    timeout_s: float = 5.0,
    max_output: int = 1_000_000,
    stdin: bytes = b"",
    max_input: int = 10_000_000,
) -> ToolResult:
    """Run `argv[0]` with `argv[1:]` as its arguments, no shell; see the module docstring. Output past
    `max_output` (either stream) stops the tool."""
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise Refused("a tool is run from a list of string arguments")
    if any("\0" in a for a in argv):
        raise Refused("an argument contains a NUL byte")
    if len(stdin) > max_input:
        raise Refused(f"the input is larger than {max_input} bytes")
    env = {k: os.environ[k] for k in TOOL_ENV_KEYS if k in os.environ}
    process = subprocess.Popen(  # an argument list, never a shell
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdin and process.stdout and process.stderr
    outputs = (bytearray(), bytearray())
    overflow = threading.Event()
    workers = [
        threading.Thread(target=_feed, args=(process.stdin, stdin), daemon=True),
        threading.Thread(target=_drain, args=(process, process.stdout, outputs[0], max_output, overflow), daemon=True),
        threading.Thread(target=_drain, args=(process, process.stderr, outputs[1], max_output, overflow), daemon=True),
    ]
    for worker in workers:
        worker.start()
    try:
        process.wait(timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(process)
        process.wait()
    for worker in workers:
        worker.join(timeout=1)
    process.stdout.close()
    process.stderr.close()
    code = None if timed_out else process.returncode
    return ToolResult(code, bytes(outputs[0]), bytes(outputs[1]), timed_out, overflow.is_set())


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        pipe.write(data)
    with contextlib.suppress(BrokenPipeError, OSError):
        pipe.close()


def _drain(
    process: subprocess.Popen[bytes], pipe: IO[bytes], into: bytearray, limit: int, overflow: threading.Event
) -> None:
    while chunk := pipe.read(65536):
        if len(into) + len(chunk) > limit:
            into += chunk[: limit - len(into)]
            overflow.set()
            _kill(process)
            return
        into += chunk


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def html(text: object) -> str:
    return _html.escape(str(text), quote=True)


def loggable(text: object, limit: int = 2000) -> str:
    """One log line's worth of `text`: CR, LF and other control characters shown as escapes."""
    shown = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text)[:limit])
    return shown + ("…" if len(str(text)) > limit else "")


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, as one string to store (never store the password itself)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        raise Refused(f"a password is a string of at most {MAX_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` (from hash_password) was made from; False for anything else."""
    if not isinstance(password, str) or not isinstance(stored, str) or len(password) > MAX_PASSWORD:
        return False
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] != "scrypt":
        return False
    try:
        salt, expected = _unb64(parts[1]), _unb64(parts[2])
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest, expected)


def issue_token(subject: object) -> str:
    """A token that names `subject` (a user's name or id) for TOKEN_TTL_S seconds, signed with the app's key."""
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": str(subject), "iat": now, "exp": now + TOKEN_TTL_S, "jti": secrets.token_hex(8)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_sign(f'{header}.{payload}')}"


def read_token(token: object) -> str | None:
    """The subject of a token issue_token made and that has not expired; None for any other value
    (a forged or altered signature, another algorithm, "none" included, an expired or malformed token)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 2:
        return None
    header, payload, signature = token.split(".")
    if not hmac.compare_digest(_sign(f"{header}.{payload}").encode(), signature.encode("utf-8")):
        return None
    try:
        head, claims = json.loads(_unb64(header)), json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("alg") != "HS256" or not isinstance(claims, dict):
        return None
    expires, subject = claims.get("exp"), claims.get("sub")
    if not isinstance(expires, int) or expires <= time.time() or not isinstance(subject, str):
        return None
    return subject


_session: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("session", default=None)


def start_session(subject: object) -> None:
    """Sign the caller in as `subject`: the app answers this request with its session cookie."""
    _session.set(("start", str(subject)))


def end_session() -> None:
    """Sign the caller out: the app answers this request by clearing its session cookie."""
    _session.set(("end", ""))


def take_session() -> tuple[str, str] | None:
    """What the handler asked of the session in this call (for the app's runtime), and forget it."""
    wanted = _session.get()
    _session.set(None)
    return wanted


def _sign(text: str) -> str:
    return _b64(hmac.new(_SECRET, text.encode("utf-8"), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc
