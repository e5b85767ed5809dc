"""Reference: the first account is the admin; roles checked on every admin operation."""

# No `from __future__ import annotations`: FastAPI resolves Depends() on local functions from real annotations.
import hashlib
import secrets
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field


class Credentials(BaseModel):
    username: str = Field(pattern=r"^[a-z0-9_]{3,32}$")
    password: str = Field(min_length=8, max_length=128)


class RoleChange(BaseModel):
    role: Literal["admin", "member"]


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)


def create_app() -> FastAPI:
    app = FastAPI()
    users: dict[str, dict[str, object]] = {}
    tokens: dict[str, str] = {}

    def public(name: str) -> dict[str, object]:
        return {"username": name, "role": users[name]["role"]}

    def current(authorization: Annotated[str | None, Header()] = None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or token not in tokens:
            raise HTTPException(401, "not logged in")
        return tokens[token]

    def admin(name: Annotated[str, Depends(current)]) -> str:
        if users[name]["role"] != "admin":
            raise HTTPException(403, "not an admin")
        return name

    @app.post("/register", status_code=201)
    def register(body: Credentials) -> dict[str, object]:
        if body.username in users:
            raise HTTPException(409, "taken")
        salt = secrets.token_bytes(16)
        role = "member" if users else "admin"
        users[body.username] = {"salt": salt, "hash": _hash(body.password, salt), "role": role}
        return public(body.username)

    @app.post("/login")
    def login(body: Credentials) -> dict[str, str]:
        user = users.get(body.username)
        if user is None or not secrets.compare_digest(_hash(body.password, user["salt"]), user["hash"]):  # type: ignore[arg-type]
            raise HTTPException(401, "wrong credentials")
        token = secrets.token_urlsafe(32)
        tokens[token] = body.username
        return {"token": token}

    @app.get("/me")
    def me(name: Annotated[str, Depends(current)]) -> dict[str, object]:
        return public(name)

    @app.get("/users")
    def everyone(_: Annotated[str, Depends(admin)]) -> list[dict[str, object]]:
        return [public(n) for n in users]

    @app.patch("/users/{username}")
    def change(username: str, body: RoleChange, _: Annotated[str, Depends(admin)]) -> dict[str, object]:
        if username not in users:
            raise HTTPException(404, "no such user")
        users[username]["role"] = body.role
        return public(username)

    return app
