"""Reference: topics and their posts in memory."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field


class TopicIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class PostIn(BaseModel):
    author: str = Field(max_length=50)
    text: str = Field(max_length=5000)


def create_app() -> FastAPI:
    app = FastAPI()
    topics: dict[int, list[dict[str, object]]] = {}
    posts = [0]

    def topic(topic_id: int) -> list[dict[str, object]]:
        if topic_id not in topics:
            raise HTTPException(404, "no such topic")
        return topics[topic_id]

    @app.post("/topics", status_code=201)
    def create(body: TopicIn) -> dict[str, object]:
        topics[len(topics) + 1] = []
        return {"topicId": len(topics), "title": body.title}

    @app.get("/topics/{topicId}/posts")
    def listed(topicId: int, sort: Literal["oldest", "newest"] = "oldest") -> list[dict[str, object]]:
        found = topic(topicId)
        return found[::-1] if sort == "newest" else found

    @app.post("/topics/{topicId}/posts", status_code=201)
    def post(topicId: int, body: PostIn) -> dict[str, object]:
        posts[0] += 1
        entry = {"postId": posts[0], **body.model_dump()}
        topic(topicId).append(entry)
        return entry

    return app
