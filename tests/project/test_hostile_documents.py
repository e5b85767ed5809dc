"""An OpenAPI document is hostile input: every string it gives lands in a generated file escaped for it.

The property: render the bookshop document with every title, summary, description and example replaced
by hostile text (quotes, triple quotes, lone \\r, \\u2028, Jinja syntax, huge strings), and the project's
Python compiles to the same statements as with harmless text (string constants aside), its page has the
same elements, and its spec.js is the same JSON: no value became code.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigc.project.openapi import spec_from_openapi
from aigc.project.scaffold import markdown, one_line, render

BOOKSHOP = Path(__file__).parents[1] / "data" / "openapi" / "bookshop.yaml"
TEXT_KEYS = {"title", "summary", "description", "example"}
PAYLOADS = [
    '"""\nimport os\nos.system("id")\n"""',
    "'''\nraise SystemExit\n'''",
    "x\rimport os  # a lone CR is a newline to Python",
    "x\u2028os.system('id')\u2029y",
    "x\x0bimport os\x0cimport sys\x1c\x1d\x1e\x85z",
    "{{ 7 * 7 }}{% for x in range(3) %}{{ x }}{% endfor %}{# comment #}",
    "</script><script>alert(1)</script><img src=x onerror=alert(1)>",
    '"; import os; x = "',
    "\\",
    "\\u0022\\n\\x22",
    "| col | `code` <b>",
    "A" * 100_000,
]
_PIPE = re.compile(r"(?<!\\)\|")  # a table cell's edge (an escaped \| is text)
HOSTILE = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet=st.characters(max_codepoint=0x3000, exclude_categories=("Cs",)), min_size=1, max_size=80),
)


def _document() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(BOOKSHOP.read_text(encoding="utf-8"))
    return doc


def _places(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every text value the mapper copies into the project (not names, types or refs)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str):
                found.append((*at, key))
            else:
                found += _places(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _places(value, (*at, i))
    return found


PLACES = _places(_document())


def _with(texts: list[str]) -> dict[str, Any]:
    doc = copy.deepcopy(_document())
    for place, text in zip(PLACES, texts, strict=True):
        node = doc
        for key in place[:-1]:
            node = node[key]
        node[place[-1]] = text
    return doc


def _project(doc: dict[str, Any], folder: Path) -> dict[str, str]:
    path = folder / "openapi.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return render(spec_from_openapi(path))


class _Strings(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("") if isinstance(node.value, str) else node


def _shape(source: str) -> str:
    """The statements and expressions of a Python file, with every string constant blanked."""
    return ast.dump(_Strings().visit(ast.parse(source)))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, sorted(name for name, _ in attrs)))


def _tags(html: str) -> list[tuple[str, list[str]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_the_document_has_text_in_every_kind_of_place() -> None:
    kinds = {place[-1] for place in PLACES}
    assert kinds == TEXT_KEYS and len(PLACES) > 20
    assert any(place[:2] == ("info", "title") for place in PLACES)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(HOSTILE, min_size=len(PLACES), max_size=len(PLACES)))
def test_hostile_text_in_a_document_becomes_no_code(tmp_path_factory: Any, texts: list[str]) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    plain = _project(_with(["harmless"] * len(PLACES)), folder)
    hostile = _project(_with(texts), folder)
    assert plain.keys() == hostile.keys()
    for name in plain:
        if name.endswith(".py"):
            compile(hostile[name], name, "exec")  # a SyntaxError here is an injection that broke the file
            assert _shape(hostile[name]) == _shape(plain[name]), f"{name}: the document's text added code"
    assert _tags(hostile["frontend/index.html"]) == _tags(plain["frontend/index.html"])
    prefix = "// What the page needs to know about the API: generated from appspec.json.\nwindow.APP_SPEC = "
    spec_js = hostile["frontend/spec.js"]
    assert spec_js.startswith(prefix) and spec_js.rstrip().endswith(";")
    json.loads(spec_js[len(prefix) :].rstrip().removesuffix(";"))  # data, and only data
    cells = [len(_PIPE.findall(line)) for line in hostile["README.md"].splitlines() if line.startswith("| ")]
    assert cells == [len(_PIPE.findall(line)) for line in plain["README.md"].splitlines() if line.startswith("| ")]


def test_the_title_of_a_document_cannot_close_the_package_docstring(tmp_path: Path) -> None:
    doc = _with(["harmless"] * len(PLACES))
    doc["info"]["title"] = 'Shop"""\nimport os\nos.system("touch /tmp/pwned")\n"""'
    files = _project(doc, tmp_path)
    tree = ast.parse(files["backend/__init__.py"])
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)  # the docstring, nothing else
    assert "os.system" in ast.literal_eval(tree.body[0].value)


def test_comment_and_markdown_text_keep_to_one_line() -> None:
    for breaker in ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]:
        line = one_line(f"a{breaker}import os")
        assert len(line.splitlines()) == 1 and len(f"# {line}\n".splitlines()) == 1
        compiled = compile(f"# {line}\n", "c.py", "exec")
        assert not ast.parse(f"# {line}\n").body and compiled is not None
    assert markdown("<b>x</b> | `y`") == "&lt;b&gt;x&lt;/b&gt; \\| 'y'"
