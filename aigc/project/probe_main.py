"""Runs inside the sandbox (standard library only): start the generated app as its README says, walk the
probe plan over HTTP, print one JSON line with what each step answered, stop the app."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any


def call(url: str, method: str, body: Any, token: str | None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"$ref"}:
        return ids.get(value["$ref"])
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, APP_DATABASE_PATH="probe-data/app.db", APP_SECRET_KEY="probe-" + "s" * 40)
    log = open("probe-server.log", "wb")  # noqa: SIM115 - the server writes to it until it is stopped
    app = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    started, token = False, None
    steps: list[dict[str, Any]] = []
    ids: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and app.poll() is None:
        with contextlib.suppress(OSError):
            started = call(base + "/api/health", "GET", None, None)[0] == 200
        if started:
            break
        time.sleep(0.2)
    if started:
        for step in plan["steps"]:
            path = step["path"]
            for param, entity in step["ids"].items():
                path = path.replace("{" + param + "}", str(ids.get(entity, 0)))
            try:
                status: int | None
                status, raw = call(base + path, step["method"], fill(step["body"], ids), token)
            except OSError as exc:
                status, raw = None, str(exc).encode()
            note = ""
            if status == step["expect"]:
                try:
                    answer = json.loads(raw) if raw and step["path"] != "/" else None
                except ValueError:
                    answer = None
                if step["save"] and isinstance(answer, dict):
                    ids[step["save"]] = answer.get("id")
                if step["token"] and isinstance(answer, dict):
                    token = answer.get("access_token")
                if step["path"] == "/" and b"<html" not in raw.lower():
                    status, note = None, "the front page is not HTML"
            else:
                note = raw.decode("utf-8", "replace")[:300]
            steps.append(
                {
                    "method": step["method"],
                    "path": step["path"],
                    "expect": step["expect"],
                    "status": status,
                    "ok": status == step["expect"],
                    "note": step["note"],
                    "answer": note,
                }
            )
    app.terminate()
    try:
        app.wait(10)
    except subprocess.TimeoutExpired:
        app.kill()
    log.close()
    with open("probe-server.log", encoding="utf-8", errors="replace") as f:
        tail = f.read()[-3000:]
    print(json.dumps({"started": started, "steps": steps, "log": "" if started else tail}))


if __name__ == "__main__":
    main()
