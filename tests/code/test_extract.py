from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from aigc.code.extract import extract, find_blocks, safe_path
from aigc.code.languages import guess_from_requirement, normalize

REPLIES = json.loads((Path(__file__).parents[1] / "data" / "replies.json").read_text(encoding="utf-8"))


def test_single_block_with_language() -> None:
    found = extract("Here:\n```python\ndef f():\n    return 1\n```\nDone.", "python")
    assert found.code == "def f():\n    return 1\n"
    assert found.language == "python"
    assert [b.line for b in found.blocks] == [2]


def test_definition_block_wins_over_usage_and_install_blocks() -> None:
    reply = (
        "Install:\n```bash\npip install requests\n```\n"
        "```python\nimport requests\n\ndef get(url):\n    return requests.get(url).text\n```\n"
        "Example usage:\n```python\nprint(get('http://x'))\n```\n"
    )
    assert "def get" in extract(reply, "python").code


def test_requested_language_wins() -> None:
    reply = "```html\n<div id=a></div>\n```\n```javascript\nfunction go() { return 1; }\n```\n"
    assert extract(reply, "javascript").code.startswith("function go")
    assert extract(reply, "html").code.startswith("<div")


def test_files_named_before_blocks_in_info_strings_and_first_line_comments() -> None:
    reply = (
        "**app.py**\n```python\nfrom flask import Flask\n```\n"
        "### `templates/index.html`\n```html\n<h1>Hi</h1>\n```\n"
        "```js title=static/app.js\nconsole.log(1)\n```\n"
        "```css\n/* static/style.css */\nbody { margin: 0 }\n```\n"
    )
    files = {f.path: f for f in extract(reply).files}
    assert set(files) == {"app.py", "templates/index.html", "static/app.js", "static/style.css"}
    assert files["templates/index.html"].language == "html"
    assert files["static/app.js"].content == "console.log(1)\n"


def test_unsafe_paths_are_dropped() -> None:
    reply = "../../etc/passwd\n```text\nroot\n```\n/abs/x.py\n```python\nx = 1\n```\n"
    assert extract(reply).files == []
    assert safe_path("./src/a.py") == "src/a.py"
    assert safe_path("a/../b.py") is None
    assert safe_path("/etc/x.py") is None


def test_a_reply_cannot_write_into_hidden_folders_or_run_on_git() -> None:
    """`.git/config` with core.fsmonitor would run a command on the user's next git status."""
    reply = ".git/config\n```ini\n[core]\n\tfsmonitor = touch /tmp/pwned\n```\n.vscode/tasks.json\n```json\n{}\n```\n"
    assert extract(reply).files == []
    for bad in (".git/config", "src/.git/hooks/pre-commit", ".envrc", ".bashrc", "a/.npmrc", "x\\y.py", "a\nb.py"):
        assert safe_path(bad) is None, bad
    assert safe_path(".gitignore") == ".gitignore" and safe_path("web/.editorconfig") == "web/.editorconfig"


def test_gen_output_does_not_follow_a_link_out_of_the_folder(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from aigc.cli.gen import write_output
    from aigc.code.extract import SourceFile
    from aigc.errors import UsageError

    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "out"
    target.mkdir()
    (target / "src").symlink_to(outside)
    result = SimpleNamespace(files=[SourceFile("src/app.py", "x = 1\n", "python")], code="x = 1\n")
    with pytest.raises(UsageError, match="link"):
        write_output(result, str(target) + "/")  # type: ignore[arg-type]
    assert list(outside.iterdir()) == []


def test_unclosed_block_from_a_cut_reply_is_kept() -> None:
    blocks = find_blocks("```python\ndef f():\n    return")
    assert blocks[0].closed is False
    assert blocks[0].content == "def f():\n    return\n"


def test_longer_fence_and_tilde_fences() -> None:
    reply = "````markdown\n```python\nx = 1\n```\n````\n~~~python\ny = 2\n~~~\n"
    blocks = find_blocks(reply)
    assert [b.language for b in blocks] == ["markdown", "python"]
    assert blocks[0].content == "```python\nx = 1\n```\n"


def test_unfenced_python_reply() -> None:
    assert extract("def f(x):\n    return x * 2\n", "python").code == "def f(x):\n    return x * 2\n"
    assert extract("Sorry, I cannot help.", "python").main is None


def test_language_names_and_mentions() -> None:
    assert normalize("py") == "python"
    assert normalize("JS") == "javascript"
    assert normalize("klingon") is None
    assert guess_from_requirement("用JavaScript写一个防抖函数") == "javascript"
    assert guess_from_requirement("用Python爬取网页标题") == "python"
    assert guess_from_requirement("write a bash script") == "bash"
    assert guess_from_requirement("实现快速排序") is None


# What recorded replies must yield: the start of the chosen code, and the files the reply names.
EXPECTED: dict[str, tuple[str, set[str]]] = {
    "编写一个Python函数，计算两个数的平均值": ("def calculate_average", set()),
    "实现快速排序": ("def quicksort", set()),
    "实现一个简单的LRU缓存类，支持get和put操作": ("class LRUCache", set()),
    "write a debounce function": ("/**", set()),
    "写一个SQL查询，找出每个部门工资最高的员工": ("SELECT", set()),
    "write a bash script that counts the lines of every .py file in a folder": ("#!/bin/bash", set()),
    "create an HTML page with a login form (username and password) and basic CSS": ("<!DOCTYPE html>", set()),
    # the model named the second file only: the first takes its name from the requirement
    "一个Flask应用，有 app.py 和 templates/index.html 两个文件，首页显示 Hello": (
        "from flask import",
        {"app.py", "templates/index.html"},
    ),
    # "// server.js" as a first-line comment, and a bare "package.json" line opening the JSON block
    "a tiny Express server in server.js and its package.json": ("// server.js", {"server.js", "package.json"}),
    "用Go语言写一个函数计算切片中所有整数的和": ("package main", set()),
}


def test_recorded_replies_cover_the_expectations() -> None:
    assert set(EXPECTED) <= {r["requirement"] for r in REPLIES}


@pytest.mark.parametrize("record", REPLIES, ids=[r["requirement"][:30] for r in REPLIES])
def test_recorded_reply(record: dict[str, str]) -> None:
    found = extract(record["reply"], record["language"], record["requirement"])
    assert found.main is not None, "every recorded reply holds code"
    assert found.code.strip()
    assert found.language == record["language"]
    if record["language"] == "python" and found.main.closed:
        ast.parse(found.code)  # the chosen Python block is complete code, not prose
    if record["requirement"] in EXPECTED:
        start, files = EXPECTED[record["requirement"]]
        assert found.code.startswith(start)
        assert {f.path for f in found.files} == files
    for f in found.files:
        assert safe_path(f.path) == f.path
