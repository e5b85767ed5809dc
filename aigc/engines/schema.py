"""Bounds on a JSON schema that a generation is constrained to (response_format, aigc new's drafts)."""

from __future__ import annotations

import json
from typing import Any

from aigc.errors import UsageError

# A JSON schema becomes a grammar whose size grows with its repetition counts (minItems: 100000 is 100000
# copies of the item rule) and its nesting: a client's schema is bounded before it is compiled.
SCHEMA_MAX_BYTES = 32 * 1024
SCHEMA_MAX_DEPTH = 16
SCHEMA_MAX_NODES = 2000
SCHEMA_MAX_REPEAT = 256
_REPEAT_KEYS = (
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)


def check_schema(schema: dict[str, Any]) -> None:
    """Raise UsageError when a schema would compile to a grammar too large to build or sample with."""
    size = len(json.dumps(schema))
    if size > SCHEMA_MAX_BYTES:
        raise UsageError(f"the JSON schema is {size} bytes; the limit is {SCHEMA_MAX_BYTES}")
    nodes = 0
    todo: list[tuple[Any, int]] = [(schema, 0)]
    while todo:
        node, depth = todo.pop()
        nodes += 1
        if depth > SCHEMA_MAX_DEPTH:
            raise UsageError(f"the JSON schema nests deeper than {SCHEMA_MAX_DEPTH} levels")
        if nodes > SCHEMA_MAX_NODES:
            raise UsageError(f"the JSON schema has more than {SCHEMA_MAX_NODES} parts")
        if isinstance(node, dict):
            for key in _REPEAT_KEYS:
                value = node.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool) and value > SCHEMA_MAX_REPEAT:
                    raise UsageError(
                        f"the JSON schema's {key} is {value}; the most a grammar is built for is {SCHEMA_MAX_REPEAT}"
                    )
            todo += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            todo += [(v, depth + 1) for v in node]
