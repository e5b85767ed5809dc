"""Prompt texts, one file per prompt, filled with string.Template ($name) so code braces need no escaping."""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template


@cache
def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    return _template(name).substitute(values).strip()
