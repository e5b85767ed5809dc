"""Reference: a little Markdown over escaped text."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field


class Source(BaseModel):
    markdown: str = Field(max_length=100000)


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def render(markdown: str) -> str:
    out = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        if heading := re.match(r"(#{1,3}) (.*)", block):
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif block:
            out.append(f"<p>{_inline(block)}</p>")
    return "\n".join(out)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/render", response_class=HTMLResponse)
    def render_page(body: Source) -> str:
        return render(body.markdown)

    return app
