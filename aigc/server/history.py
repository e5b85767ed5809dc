"""Conversations (and project jobs) kept in SQLite, so the page lists them after a restart.

WAL mode; every write is its own committed transaction. An answer is saved while it streams (status
`streaming`, its text so far written every `SAVE_EVERY_S`), so a server killed mid-answer loses at most
that last moment of text; on the next start such answers are marked `interrupted`, never silently dropped.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MessageStatus = Literal["done", "streaming", "cancelled", "interrupted", "error"]
SAVE_EVERY_S = 0.5
TITLE_CHARS = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    tokens INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    data TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: str
    content: str
    status: str
    created: float
    tokens: int

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


class History:
    def __init__(self, path: Path) -> None:
        # Conversations and code are the user's own: the folder and the database are theirs alone (0700, 0600).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        os.chmod(path, 0o600, follow_symlinks=False)
        self.path = path  # SQLite gives its -wal and -shm files the database's mode
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a killed process loses no commit
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            # Answers that were streaming when the last server stopped did not finish.
            self._db.execute("UPDATE messages SET status='interrupted' WHERE status='streaming'")
            self._db.execute("UPDATE projects SET status='interrupted' WHERE status IN ('queued', 'running')")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # conversations

    def create_conversation(self, first_message: str) -> Conversation:
        now = time.time()
        title = " ".join(first_message.split())[:TITLE_CHARS] or "(empty)"
        conv = Conversation(uuid.uuid4().hex[:16], title, now, now)
        self._run("INSERT INTO conversations VALUES (?, ?, ?, ?)", (conv.id, conv.title, now, now))
        return conv

    def conversations(self, limit: int = 100) -> list[Conversation]:
        rows = self._run(
            "SELECT id, title, created, updated FROM conversations ORDER BY updated DESC LIMIT ?", (limit,)
        )
        return [Conversation(*r) for r in rows]

    def conversation(self, conversation_id: str) -> Conversation | None:
        rows = self._run("SELECT id, title, created, updated FROM conversations WHERE id = ?", (conversation_id,))
        return Conversation(*rows[0]) if rows else None

    def delete_conversation(self, conversation_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount > 0

    def messages(self, conversation_id: str) -> list[StoredMessage]:
        rows = self._run(
            "SELECT id, role, content, status, created, tokens FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [StoredMessage(*r) for r in rows]

    def add_message(self, conversation_id: str, role: str, content: str, status: MessageStatus = "done") -> int:
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO messages (conversation_id, role, content, status, created) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, role, content, status, now),
            )
            self._db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
            return int(cur.lastrowid or 0)

    def update_message(self, message_id: int, content: str, status: MessageStatus, tokens: int = 0) -> None:
        self._run(
            "UPDATE messages SET content = ?, status = ?, tokens = ? WHERE id = ?",
            (content, status, tokens, message_id),
        )

    # project jobs (their files live in the data folder; this keeps the list and the last state)

    def save_project(self, project_id: str, title: str, status: str, created: float, data: dict[str, Any]) -> None:
        self._run(
            "INSERT INTO projects VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "status = excluded.status, updated = excluded.updated, data = excluded.data",
            (project_id, title, status, created, time.time(), json.dumps(data, ensure_ascii=False)),
        )

    def projects(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._run("SELECT status, data FROM projects ORDER BY created DESC LIMIT ?", (limit,))
        return [{**json.loads(data), "status": status} for status, data in rows]

    def project(self, project_id: str) -> dict[str, Any] | None:
        rows = self._run("SELECT status, data FROM projects WHERE id = ?", (project_id,))
        return {**json.loads(rows[0][1]), "status": rows[0][0]} if rows else None

    def expired_projects(self, keep: int, max_age_s: float, final: set[str]) -> list[str]:
        """Finished projects beyond the newest `keep`, or older than `max_age_s`: the ones to prune."""
        rows = self._run("SELECT id, status, created FROM projects ORDER BY created DESC", ())
        done = [(pid, created) for pid, status, created in rows if status in final]
        cutoff = time.time() - max_age_s
        return [pid for i, (pid, created) in enumerate(done) if i >= keep or created < cutoff]

    def delete_project(self, project_id: str) -> None:
        self._run("DELETE FROM projects WHERE id = ?", (project_id,))


class StreamingAnswer:
    """An assistant message saved as it streams: text so far every SAVE_EVERY_S, then its final state."""

    def __init__(self, history: History, conversation_id: str) -> None:
        self.history = history
        self.id = history.add_message(conversation_id, "assistant", "", "streaming")
        self.parts: list[str] = []
        self._saved_at = time.monotonic()

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            self.history.update_message(self.id, self.text, "streaming")
            self._saved_at = time.monotonic()

    def finish(self, status: MessageStatus, tokens: int = 0, text: str | None = None) -> None:
        self.history.update_message(self.id, self.text if text is None else text, status, tokens)
