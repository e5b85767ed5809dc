"""Reference: counts over a text/plain body."""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI, HTTPException, Request

LIMIT = 1_000_000


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/stats")
    async def stats(request: Request) -> dict[str, object]:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > LIMIT:
                raise HTTPException(413, "at most 1 MB")
        text = body.decode("utf-8", errors="replace")
        words = text.split()
        counts = Counter(w.lower() for w in words)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        return {
            "characters": len(text),
            "lines": len(text.splitlines()),
            "words": len(words),
            "top": [{"word": w, "count": n} for w, n in top],
        }

    return app
