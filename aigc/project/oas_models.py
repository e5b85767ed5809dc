"""OpenAPI schemas as pydantic models in Python source, for the handlers of a generated app.

Each object schema an operation uses, inline or through a local `$ref`, becomes one class: a referenced
schema under its own name, an inline one named after where it appears (`CalculatorPostBody`). Property
names are the document's, exactly: a name that is a safe Python identifier is the attribute itself;
any other gets an identifier made from it, with the document's name as its alias in both directions
(populate_by_name; the app answers by alias). Constraints become Field() arguments, enums Literal types;
allOf is merged, oneOf and anyOf become unions, and `nullable` (3.0) or "null" among the types (3.1)
adds `| None`.

The document is hostile input. Every value from it enters the source as a Python literal checked by
ast.literal_eval, and every class and attribute name is built from [A-Za-z0-9_] alone, so nothing in a
document can become code. A `$ref` outside the document or one that does not resolve, schemas nested past
MAX_DEPTH and more than MAX_CLASSES classes are refused, each naming where. A schema that refers to itself
works through its class name: the models are rebuilt once all are defined.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from aigc.errors import OpenAPIError

MAX_DEPTH = 32  # schemas inside schemas
MAX_CLASSES = 500
# Names the module's annotations use: an attribute or class of that name would shadow them.
_RESERVED = set(dir(BaseModel)) | {"Any", "Literal", "Field", "ConfigDict", "BaseModel", "Schema", "datetime"}
_RESERVED |= {"str", "int", "float", "bool", "bytes", "list", "dict", "None"}
_FORMATS = {"date-time": "datetime.datetime", "date": "datetime.date", "binary": "bytes"}
_TYPES = {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}
# OpenAPI keyword -> pydantic Field() argument, and the types each applies to
_CONSTRAINTS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_length",
    "maxItems": "max_length",
    "minimum": "ge",
    "maximum": "le",
    "multipleOf": "multiple_of",
    "pattern": "pattern",
}
_NUMBERS = ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")
_APPLIES = {
    "string": ("minLength", "maxLength", "pattern"),
    "array": ("minItems", "maxItems"),
    "integer": _NUMBERS,
    "number": _NUMBERS,
}
HEADER = '''"""Request and response models from the OpenAPI document (written by aigc; names kept as the document
has them, as aliases where they are not Python identifiers)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, regex_engine="python-re")
'''


def literal(value: Any, where: str) -> str:
    """`value` as Python source that can only be that value; refused if it is not plain data."""
    if isinstance(value, float) and not math.isfinite(value):
        raise OpenAPIError(f"{where}: {value!r} is not a JSON value")
    if not _plain(value):
        raise OpenAPIError(f"{where}: {type(value).__name__} values are not supported here")
    text = repr(value)
    if ast.literal_eval(text) != value:  # pragma: no cover - repr of plain data always reads back
        raise OpenAPIError(f"{where}: cannot write {value!r} as a literal")
    return text


def resolve(doc: dict[str, Any], ref: Any, where: str) -> Any:
    """What a local `$ref` ("#/components/schemas/Pet") points at in `doc`."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise OpenAPIError(f"{where}: $ref {ref!r} points outside the document; only local references work")
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise OpenAPIError(f"{where}: $ref {ref!r} does not resolve in the document")
        node = node[part]
    return node


def follow(doc: dict[str, Any], value: Any, where: str) -> Any:
    """`value`, or what its chain of `$ref`s ends at (a parameter, request body, response or schema)."""
    for _ in range(MAX_DEPTH):
        if not (isinstance(value, dict) and "$ref" in value):
            return value
        value = resolve(doc, value["$ref"], where)
    raise OpenAPIError(f"{where}: a $ref chain longer than {MAX_DEPTH} (does it refer to itself?)")


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int | float):
        return not isinstance(value, float) or math.isfinite(value)
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def class_name(where: str) -> str:
    """CamelCase from the letters and digits of `where` ("/carts/{cart_id} post body" -> CartsCartIdPostBody)."""
    words = re.findall(r"[A-Za-z0-9]+", where)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    return f"M{name}" if name[0].isdigit() else name


def attribute(name: str) -> str:
    """A Python attribute for a property name: the name itself when that is safe, else one made of it."""
    if name.isidentifier() and name.isascii() and not _unsafe(name):
        return name
    made = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "field"
    made = f"f_{made}" if made[0].isdigit() else made
    return f"{made}_" if _unsafe(made) else made


def _unsafe(name: str) -> bool:
    return keyword.iskeyword(name) or name.startswith(("_", "model_")) or name in _RESERVED


@dataclass
class Models:
    """The classes written so far, in definition order; `annotation` adds what a schema needs."""

    doc: dict[str, Any]
    classes: dict[str, str] = field(default_factory=dict)  # class name -> its source
    refs: dict[str, str] = field(default_factory=dict)  # $ref -> class name

    def annotation(self, schema: Any, where: str, depth: int = 0) -> str:
        """The type annotation for `schema`; object schemas become classes named after `where`."""
        if depth > MAX_DEPTH:
            raise OpenAPIError(f"{where}: schemas nested deeper than {MAX_DEPTH} levels")
        if schema is True or schema == {}:
            return "Any"
        if not isinstance(schema, dict):
            raise OpenAPIError(f"{where}: a schema must be a mapping, not {type(schema).__name__}")
        if "$ref" in schema:
            return self._ref(schema["$ref"], where, depth)
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
        nullable = schema.get("nullable") is True or "null" in kinds
        base = self._base(schema, [k for k in kinds if k != "null"], where, depth)
        return f"{base} | None" if nullable and not _optional(base) else base

    def source(self) -> str:
        """The module: the header, every class, and the rebuild that resolves names used before defined."""
        rebuild = [f"{name}.model_rebuild()" for name in self.classes]
        return "\n\n".join([HEADER.rstrip("\n"), *self.classes.values(), "\n".join(rebuild)]) + "\n"

    def _base(self, schema: dict[str, Any], kinds: list[str], where: str, depth: int) -> str:
        if "enum" in schema:
            return self._enum(schema["enum"], where)
        if "allOf" in schema:
            return self._object(self._merged(schema, where, depth), where, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = _listed(schema[key], f"{where}.{key}")
                return " | ".join(
                    dict.fromkeys(self.annotation(o, f"{where} option {i}", depth + 1) for i, o in enumerate(options))
                )
        if len(kinds) > 1:
            return " | ".join(self._base({**schema, "type": k}, [k], where, depth) for k in kinds)
        kind = kinds[0] if kinds else ("object" if "properties" in schema else None)
        if kind == "array":
            return f"list[{self.annotation(schema.get('items', {}), f'{where} item', depth + 1)}]"
        if kind == "object":
            return self._object(schema, where, depth)
        if kind == "string":
            return _FORMATS.get(str(schema.get("format")), "str")
        if kind in _TYPES:
            return _TYPES[kind]
        if kind is None:
            return "Any"
        raise OpenAPIError(f"{where}: unknown type {kind!r}")

    def _enum(self, values: Any, where: str) -> str:
        members = _listed(values, f"{where}.enum")
        if not members:
            raise OpenAPIError(f"{where}: an enum with no values")
        shown = [literal(v, f"{where}.enum") for v in members if v is not None]
        if not shown:
            return "None"
        return f"Literal[{', '.join(shown)}]" + (" | None" if None in members else "")

    def _ref(self, ref: Any, where: str, depth: int) -> str:
        if isinstance(ref, str) and ref in self.refs:
            return self.refs[ref]
        target = self._resolve(ref, where)
        if not _is_object(target):
            return self.annotation(target, str(ref).rsplit("/", 1)[-1], depth + 1)
        name = self._unique(class_name(str(ref).rsplit("/", 1)[-1]))
        self.refs[ref] = name  # before the class is built, so a schema can refer to itself
        self.classes[name] = ""  # keeps its place in the order
        self._define(name, target, ref, depth)
        return name

    def _resolve(self, ref: str, where: str) -> Any:
        return resolve(self.doc, ref, where)

    def _merged(self, schema: dict[str, Any], where: str, depth: int) -> dict[str, Any]:
        """allOf as one object schema: the parts' properties and required names together."""
        properties: dict[str, Any] = dict(schema.get("properties") or {})
        required = list(schema.get("required") or [])
        for i, part in enumerate(_listed(schema["allOf"], f"{where}.allOf")):
            part = follow(self.doc, part, f"{where}.allOf[{i}]")
            if not isinstance(part, dict):
                raise OpenAPIError(f"{where}.allOf[{i}]: a schema must be a mapping")
            if "allOf" in part:
                if depth >= MAX_DEPTH:
                    raise OpenAPIError(f"{where}: schemas nested deeper than {MAX_DEPTH} levels")
                part = self._merged(part, where, depth + 1)
            properties.update(part.get("properties") or {})
            required += list(part.get("required") or [])
        return {"type": "object", "properties": properties, "required": required}

    def _object(self, schema: dict[str, Any], where: str, depth: int) -> str:
        if not schema.get("properties"):
            extra = schema.get("additionalProperties")
            value = self.annotation(extra, f"{where} value", depth + 1) if isinstance(extra, dict) else "Any"
            return f"dict[str, {value}]"
        name = self._unique(class_name(where))
        self.classes[name] = ""
        self._define(name, schema, where, depth)
        return name

    def _define(self, name: str, schema: dict[str, Any], where: str, depth: int) -> None:
        if "allOf" in schema:
            schema = self._merged(schema, where, depth)
        properties = schema.get("properties") or {}
        if not isinstance(properties, dict):
            raise OpenAPIError(f"{where}: properties must be a mapping")
        required = set(_listed(schema.get("required") or [], f"{where}.required"))
        lines = [f"class {name}(Schema):"]
        taken: set[str] = set()
        for prop, sub in properties.items():
            if not isinstance(prop, str):
                raise OpenAPIError(f"{where}: property names must be strings")
            attr = attribute(prop)
            while attr in taken:
                attr += "_"
            taken.add(attr)
            lines.append("    " + self._field(attr, prop, sub, prop in required, f"{where}.{prop}", depth))
        self.classes[name] = "\n".join(lines if len(lines) > 1 else [*lines, "    pass"])

    def _field(self, attr: str, name: str, schema: Any, required: bool, where: str, depth: int) -> str:
        annotation = self.annotation(schema, _title(where), depth + 1)
        args: list[str] = []
        if not required:
            default = schema.get("default") if isinstance(schema, dict) else None
            if default is None and not _optional(annotation):
                annotation += " | None"
            written = literal(default, where)
            args.append(
                f"default_factory=lambda: {written}" if isinstance(default, list | dict) else f"default={written}"
            )
        if attr != name:
            args.append(f"alias={literal(name, where)}")
        if isinstance(schema, dict):
            found = constraints(schema)
            if "pattern" in found:
                _check_pattern(found["pattern"], where)
            args += [f"{arg}={literal(value, where)}" for arg, value in found.items()]
        return f"{attr}: {annotation} = Field({', '.join(args)})" if args else f"{attr}: {annotation}"

    def _unique(self, name: str) -> str:
        if len(self.classes) >= MAX_CLASSES:
            raise OpenAPIError(f"the document needs more than {MAX_CLASSES} models")
        base, n = (f"{name}_" if name in _RESERVED else name), 2
        name = base
        while name in self.classes:
            name, n = f"{base}{n}", n + 1
        return name


def constraints(schema: dict[str, Any]) -> dict[str, Any]:
    """Field() arguments for the keywords that apply to the schema's type (others are left to the type)."""
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    keys = [k for kind in kinds for k in _APPLIES.get(str(kind), ())]
    out = {_CONSTRAINTS[k]: schema[k] for k in keys if k in schema and k in _CONSTRAINTS}
    if "minimum" not in keys:
        return out
    for key, bound, inclusive, arg in (
        ("exclusiveMinimum", "minimum", "ge", "gt"),
        ("exclusiveMaximum", "maximum", "le", "lt"),
    ):
        value = schema.get(key)
        if value is True and bound in schema:  # 3.0: a flag on the bound
            out.pop(inclusive, None)
            out[arg] = schema[bound]
        elif isinstance(value, int | float) and not isinstance(value, bool):  # 3.1: the bound itself
            out[arg] = value
    return out


def _check_pattern(pattern: Any, where: str) -> None:
    """The app checks patterns with Python's re (ECMA-style lookarounds work); a bad one is refused here."""
    if not isinstance(pattern, str):
        raise OpenAPIError(f"{where}: pattern must be a string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise OpenAPIError(f"{where}: pattern {pattern!r} is not a valid regular expression ({exc})") from exc


def _optional(annotation: str) -> bool:
    return annotation == "Any" or "None" in (part.strip() for part in annotation.split("|"))


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema or "allOf" in schema)


def _listed(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise OpenAPIError(f"{where}: must be a list")
    return value


def _title(where: str) -> str:
    return where.replace(".", " ")
