"""Reference: arithmetic by a small recursive-descent parser; nothing is evaluated as code."""

from __future__ import annotations

import re

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|(.))")


class Expression(BaseModel):
    expression: str = Field(max_length=1000)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        for number, op in TOKEN.findall(text):
            if op and op not in "+-*/()":
                raise ValueError(f"unexpected {op!r}")
            self.tokens.append(number or op)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("unexpected end")
        self.i += 1
        return token

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.factor()
        while self.peek() in ("*", "/"):
            if self.take() == "*":
                value *= self.factor()
            else:
                divisor = self.factor()
                if divisor == 0:
                    raise ValueError("division by zero")
                value /= divisor
        return value

    def factor(self) -> float:
        token = self.take()
        if token == "-":
            return -self.factor()
        if token == "+":
            return self.factor()
        if token == "(":
            value = self.expr()
            if self.take() != ")":
                raise ValueError("unbalanced parentheses")
            return value
        if token in "+-*/)":
            raise ValueError(f"unexpected {token!r}")
        return float(token)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/calculator")
    def calculate(body: Expression) -> dict[str, float]:
        try:
            parser = _Parser(body.expression)
            value = parser.expr()
            if parser.peek() is not None:
                raise ValueError("unbalanced parentheses")
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"result": value}

    return app
