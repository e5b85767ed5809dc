"""The helpers generated apps reach files and tools through refuse the obvious attacks: traversal and
links out of a folder, shell metacharacters, tools that never end or flood their output, secrets in the
environment, and line breaks forged into a log."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from aigc.project.app_helpers.safety import Refused, html, inside, loggable, run_tool, scratch


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "a/../../b", "a\\..\\b", "a\0b", "", ".", "x/./y"])
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(Refused):
        inside(tmp_path, name)


def test_a_plain_name_stays_and_a_link_out_is_refused(tmp_path: Path) -> None:
    assert inside(tmp_path, "docs/a.txt") == tmp_path / "docs" / "a.txt"
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "escape").symlink_to(outside)
    with pytest.raises(Refused, match="link"):
        inside(tmp_path, "escape/secret.txt")
    (tmp_path / "file-link").symlink_to(outside / "x")
    with pytest.raises(Refused, match="link"):
        inside(tmp_path, "file-link")


def test_scratch_is_private_and_removed() -> None:
    with scratch() as folder:
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        (folder / "f").write_text("x")
    assert not folder.exists()


def test_a_tool_gets_its_arguments_literally_and_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SECRET_KEY", "s3cret")
    code = "import os, sys; print(sys.argv[1:]); print(sorted(os.environ))"
    result = run_tool([sys.executable, "-c", code, "a; rm -rf /", "$(id)"], cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0 and lines[0] == "['a; rm -rf /', '$(id)']"
    assert "APP_SECRET_KEY" not in lines[1] and "s3cret" not in result.stdout.decode()
    assert (
        run_tool(
            [sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"], cwd=tmp_path, stdin=b"hi"
        ).stdout
        == b"HI\n"
    )
    with pytest.raises(Refused):
        run_tool("echo hi; id", cwd=tmp_path)  # type: ignore[arg-type]


def test_a_tool_that_never_ends_or_floods_is_stopped(tmp_path: Path) -> None:
    start = time.monotonic()
    # the child forks a grandchild that would outlive it: the whole process group goes
    code = "import os, time; os.fork(); time.sleep(60)"
    result = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=1)
    assert result.timed_out and result.returncode is None and time.monotonic() - start < 30
    flood = run_tool(
        [sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"],
        cwd=tmp_path,
        max_output=100_000,
    )
    assert flood.truncated and len(flood.stdout) == 100_000 and not flood.timed_out
    with pytest.raises(Refused, match="larger than"):
        run_tool(["cat"], cwd=tmp_path, stdin=b"x" * 11, max_input=10)


def test_text_for_html_and_for_a_log_line() -> None:
    assert html('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    forged = "bob\r\n2026-01-01 INFO admin logged in\x1b[31m"
    shown = loggable(forged)
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown and shown.startswith("bob\\r\\n2026")
    assert loggable("x" * 3000).endswith("…") and len(loggable("x" * 3000)) == 2001
    assert os.linesep not in loggable("a\u2028b")
