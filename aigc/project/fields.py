"""Field types of a generated app: the one place that knows what each type is in Python, in the database,
to a check the model writes, in a prompt, and what lengths and patterns its values keep.

Every module that turns a field into something (the spec's validation of examples, the templates'
models, the derived tests, the probe's sample values, the prompts for checks and actions) reads it here,
so a limit cannot say 254 in one place and 255 in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

FieldType = Literal["string", "text", "integer", "number", "boolean", "date", "datetime", "email", "password", "ref"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
TEXT_TYPES = ("string", "text", "email", "password")

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PASSWORD_MIN = 8  # characters, unless the spec asks for more
PASSWORD_COLUMN = 255  # the stored hash, whatever the password's own limit


@dataclass(frozen=True)
class TypeInfo:
    python: str  # the annotation in the app's schemas
    column: str | None  # the SQLAlchemy column type; None: String(max length)
    check: str  # what isinstance() takes for a value of it, in a check's or an action's contract test
    words: str  # how a prompt describes a value of it to the model ({ref}: the entity a ref points to)
    max_length: int | None = None  # text types: the limit when the spec gives none


TYPES: dict[str, TypeInfo] = {
    "string": TypeInfo("str", None, "str", "a string", 255),
    "text": TypeInfo("str", "Text", "str", "a string (long text)", 10000),
    "email": TypeInfo("str", None, "str", "a string (an email address)", 254),
    "password": TypeInfo("str", None, "str", "a password", 128),
    "integer": TypeInfo("int", "Integer", "int", "an int"),
    "number": TypeInfo("float", "Float", "(int, float)", "a float"),
    "boolean": TypeInfo("bool", "Boolean", "bool", "a bool"),
    "date": TypeInfo("datetime.date", "Date", "str", 'a date as an ISO string "YYYY-MM-DD"'),
    "datetime": TypeInfo(
        "datetime.datetime", "DateTime", "str", 'a date and time as an ISO string "YYYY-MM-DDTHH:MM:SS"'
    ),
    "ref": TypeInfo("int", "Integer", "int", "an int (the id of a {ref})"),
}


def max_length(kind: str, given: int | None) -> int:
    """The longest value a text field takes: the spec's limit, else its type's."""
    limit = TYPES[kind].max_length
    assert limit is not None, f"{kind} is not a text type"
    return given or limit


def min_length(kind: str, given: int | None, required: bool) -> int | None:
    """The shortest: the spec's limit, else 8 for a password and 1 for a required field."""
    if given is not None:
        return given
    return PASSWORD_MIN if kind == "password" else (1 if required else None)


def column_type(kind: str, given_max: int | None) -> str:
    """The SQLAlchemy column type."""
    if kind == "password":
        return f"String({PASSWORD_COLUMN})"
    return TYPES[kind].column or f"String({max_length(kind, given_max)})"


def described(kind: str, ref: str | None) -> str:
    """A value of this type in a prompt's words."""
    return TYPES[kind].words.format(ref=ref)
