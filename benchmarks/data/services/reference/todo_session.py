"""Reference: cookie sessions, a CSRF token per session, login attempts throttled per username."""

# No `from __future__ import annotations`: FastAPI resolves Depends() on local functions from real annotations.
import hashlib
import secrets
from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

MAX_FAILURES = 5


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=32)
    password: str = Field(min_length=8, max_length=128)


class TodoIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)


def create_app() -> FastAPI:
    app = FastAPI()
    users: dict[str, tuple[bytes, bytes]] = {}
    sessions: dict[str, tuple[str, str]] = {}  # session id -> (user, csrf token)
    failures: dict[str, int] = {}
    todos: dict[str, list[dict[str, object]]] = {}

    def session(session: Annotated[str | None, Cookie()] = None) -> tuple[str, str]:
        if session not in sessions:
            raise HTTPException(401, "not logged in")
        return sessions[session]

    def csrf(current: Annotated[tuple[str, str], Depends(session)], x_csrf_token: Annotated[str, Header()] = "") -> str:
        if not secrets.compare_digest(x_csrf_token.encode(), current[1].encode()):
            raise HTTPException(403, "missing or wrong CSRF token")
        return current[0]

    @app.post("/signup", status_code=201)
    def signup(body: Credentials) -> dict[str, str]:
        if body.username in users:
            raise HTTPException(409, "taken")
        salt = secrets.token_bytes(16)
        users[body.username] = (salt, _hash(body.password, salt))
        return {"username": body.username}

    @app.post("/login")
    def login(body: Credentials) -> Response:
        if failures.get(body.username, 0) >= MAX_FAILURES:
            raise HTTPException(429, "too many failed logins")
        salt, digest = users.get(body.username, (b"", b""))
        if not salt or not secrets.compare_digest(_hash(body.password, salt), digest):
            failures[body.username] = failures.get(body.username, 0) + 1
            raise HTTPException(401, "wrong credentials")
        sid, token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        sessions[sid] = (body.username, token)
        answer = JSONResponse({"csrfToken": token})
        answer.set_cookie("session", sid, httponly=True, samesite="strict")
        return answer

    @app.post("/logout", status_code=204)
    def logout(user: Annotated[str, Depends(csrf)], session: Annotated[str | None, Cookie()] = None) -> Response:
        sessions.pop(session or "", None)
        answer = Response(status_code=204)
        answer.delete_cookie("session")
        return answer

    @app.get("/todos")
    def mine(current: Annotated[tuple[str, str], Depends(session)]) -> list[dict[str, object]]:
        return todos.get(current[0], [])

    @app.post("/todos", status_code=201)
    def add(body: TodoIn, user: Annotated[str, Depends(csrf)]) -> dict[str, object]:
        todo = {"id": sum(map(len, todos.values())) + 1, "text": body.text}
        todos.setdefault(user, []).append(todo)
        return todo

    return app
