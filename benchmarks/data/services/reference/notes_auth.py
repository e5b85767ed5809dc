"""Reference: salted password hashes, random bearer tokens, notes visible to their owner only."""

# No `from __future__ import annotations`: FastAPI resolves Depends() on local functions from real annotations.
import hashlib
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=32)
    password: str = Field(min_length=8, max_length=128)


class NoteIn(BaseModel):
    title: str = Field(max_length=200)
    content: str = Field(max_length=10000)


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)


def create_app() -> FastAPI:
    app = FastAPI()
    users: dict[str, tuple[bytes, bytes]] = {}
    tokens: dict[str, str] = {}
    notes: dict[int, tuple[str, NoteIn]] = {}

    def user(authorization: Annotated[str | None, Header()] = None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or token not in tokens:
            raise HTTPException(401, "no or bad token")
        return tokens[token]

    @app.post("/register", status_code=201)
    def register(body: Credentials) -> dict[str, str]:
        if body.username in users:
            raise HTTPException(409, "username taken")
        salt = secrets.token_bytes(16)
        users[body.username] = (salt, _hash(body.password, salt))
        return {"username": body.username}

    @app.post("/login")
    def login(body: Credentials) -> dict[str, str]:
        salt, digest = users.get(body.username, (b"", b""))
        if not salt or not secrets.compare_digest(_hash(body.password, salt), digest):
            raise HTTPException(401, "wrong username or password")
        token = secrets.token_urlsafe(32)
        tokens[token] = body.username
        return {"token": token}

    @app.post("/notes", status_code=201)
    def create(body: NoteIn, owner: Annotated[str, Depends(user)]) -> dict[str, object]:
        note_id = len(notes) + 1
        notes[note_id] = (owner, body)
        return {"id": note_id, **body.model_dump()}

    @app.get("/notes/{note_id}")
    def read(note_id: int, owner: Annotated[str, Depends(user)]) -> dict[str, object]:
        if note_id not in notes or notes[note_id][0] != owner:
            raise HTTPException(404, "no such note of yours")
        return {"id": note_id, **notes[note_id][1].model_dump()}

    return app
