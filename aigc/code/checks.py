"""Static checks of generated code, per language. Each finding names its tool, rule and line.

Python: compile, ruff (pyflakes + pycodestyle), bandit (security), radon (complexity and maintainability).
JavaScript: `node --check`; shell: `bash -n` (both in the sandbox: the code is untrusted even to parse).
HTML, CSS, SQL: syntax errors from tree-sitter grammars. Fatal findings fail a candidate; the rest
are reported.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aigc.sandbox import Limits, Sandbox

log = logging.getLogger(__name__)

Severity = Literal["fatal", "warning", "info"]

# ruff rules that mean the code cannot work: syntax errors, undefined names, misplaced statements.
FATAL_RUFF = re.compile(r"^(E9\d\d|F63\d|F7\d\d|F82\d)$")
_STYLE_PREFIXES = ("E", "W")


@dataclass(frozen=True)
class Finding:
    tool: str
    rule: str
    message: str
    line: int | None
    severity: Severity

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{self.tool} {self.rule} at {where}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    language: str
    tools: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def fatal(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "fatal"]

    @property
    def passed(self) -> bool:
        return not self.fatal

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "tools": list(self.tools),
            "passed": self.passed,
            "findings": [f.__dict__ for f in self.findings],
            "metrics": {k: round(v, 2) for k, v in self.metrics.items()},
        }


def check(code: str, language: str, sandbox: Sandbox | None = None) -> CheckReport:
    if language == "python":
        return check_python(code)
    if language in ("javascript", "bash"):
        return _check_in_sandbox(code, language, sandbox or Sandbox())
    if language in _TREE_SITTER:
        return _check_tree_sitter(code, language)
    return CheckReport(language, ())


# ---------------------------------------------------------------- Python


def check_python(code: str) -> CheckReport:
    findings: list[Finding] = []
    tools = ["compile"]
    try:
        with warnings.catch_warnings(record=True) as caught:  # SyntaxWarning: a finding, not a line on stderr
            warnings.simplefilter("always")
            compile(code, "main.py", "exec", dont_inherit=True)  # parses and compiles; runs nothing
        for w in caught:
            findings.append(Finding("compile", w.category.__name__, str(w.message), w.lineno, "warning"))
    except SyntaxError as exc:
        findings.append(Finding("compile", "SyntaxError", str(exc.msg), exc.lineno, "fatal"))
        return CheckReport("python", tuple(tools), tuple(findings))
    except ValueError as exc:  # null bytes
        findings.append(Finding("compile", "ValueError", str(exc), None, "fatal"))
        return CheckReport("python", tuple(tools), tuple(findings))
    for tool, run in (("ruff", _ruff), ("bandit", _bandit)):
        found = run(code)
        if found is not None:
            tools.append(tool)
            findings += found
    metrics = _radon(code)
    if metrics:
        tools.append("radon")
    return CheckReport("python", tuple(tools), tuple(findings), metrics)


def _ruff(code: str) -> list[Finding] | None:
    cmd = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--isolated",
        "--no-cache",
        "--select",
        "E,W,F",
        "--output-format",
        "json",
        "--stdin-filename",
        "main.py",
        "-",
    ]
    try:
        proc = subprocess.run(cmd, input=code, capture_output=True, text=True, timeout=30, check=False)
        items = json.loads(proc.stdout or "[]")
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        log.warning("ruff did not run: %s", exc)
        return None
    out = []
    for item in items:
        rule = item.get("code") or "syntax"
        severity: Severity = (
            "fatal"
            if rule == "syntax" or FATAL_RUFF.match(rule)
            else "info"
            if rule.startswith(_STYLE_PREFIXES)
            else "warning"
        )
        out.append(Finding("ruff", rule, item["message"], item.get("location", {}).get("row"), severity))
    return out


def _bandit(code: str) -> list[Finding] | None:
    """bandit reads the AST (it runs nothing); high-severity findings are fatal."""
    logging.getLogger("stevedore").setLevel(logging.CRITICAL)  # optional bandit formatters it cannot load
    try:
        with warnings.catch_warnings():  # bandit's plugin loader passes a deprecated stevedore argument
            warnings.simplefilter("ignore", DeprecationWarning)
            from bandit.core import config as b_config
            from bandit.core import manager as b_manager
    except ImportError:
        return None
    with tempfile.TemporaryDirectory(prefix="aigc-bandit-") as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(code, encoding="utf-8")
        logging.getLogger("bandit").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            mgr = b_manager.BanditManager(b_config.BanditConfig(), "file", quiet=True)
            mgr.discover_files([str(path)])
            mgr.run_tests()
        issues = mgr.get_issue_list()
    out = []
    for issue in issues:
        level = str(issue.severity).upper()
        severity: Severity = "fatal" if level == "HIGH" else "warning" if level == "MEDIUM" else "info"
        out.append(Finding("bandit", issue.test_id, f"{issue.text} (severity {level.lower()})", issue.lineno, severity))
    return out


def _radon(code: str) -> dict[str, float]:
    try:
        from radon.complexity import cc_visit
        from radon.metrics import mi_visit
    except ImportError:
        return {}
    try:
        blocks = cc_visit(code)
        mi = float(mi_visit(code, multi=True))
    except (SyntaxError, ValueError):
        return {}
    complexities = [b.complexity for b in blocks] or [1]
    return {
        "max_complexity": float(max(complexities)),
        "mean_complexity": sum(complexities) / len(complexities),
        "maintainability_index": mi,
    }


# ---------------------------------------------------------------- JavaScript and shell, in the sandbox

_NODE_LINE = re.compile(r"main\.js:(\d+)")
_BASH_LINE = re.compile(r"line (\d+):\s*(.*)")


def _check_in_sandbox(code: str, language: str, sandbox: Sandbox) -> CheckReport:
    if language == "javascript":
        tool, name, argv = "node --check", "main.js", ["node", "--check", "main.js"]
        if shutil.which("node") is None:
            return CheckReport(language, (), (Finding("aigc", "no-checker", "node is not installed", None, "info"),))
    else:
        tool, name, argv = "bash -n", "main.sh", ["bash", "-n", "main.sh"]
    result = sandbox.run(argv, {name: code}, limits=Limits(timeout_s=20, memory_mb=2048, processes=32))
    if result.ok:
        return CheckReport(language, (tool,))
    text = result.stderr.strip()
    if language == "javascript":
        m = _NODE_LINE.search(text)
        line = int(m[1]) if m else None
        message = next((ln for ln in text.splitlines() if "Error" in ln), text.splitlines()[-1] if text else "failed")
    else:
        m = _BASH_LINE.search(text)
        line, message = (int(m[1]), m[2]) if m else (None, text or "failed")
    return CheckReport(language, (tool,), (Finding(tool, "syntax", message.strip(), line, "fatal"),))


# ---------------------------------------------------------------- tree-sitter grammars

_TREE_SITTER = {"html": "tree_sitter_html", "css": "tree_sitter_css", "sql": "tree_sitter_sql"}


def _check_tree_sitter(code: str, language: str) -> CheckReport:
    import importlib

    try:
        from tree_sitter import Language, Parser

        grammar = importlib.import_module(_TREE_SITTER[language])
    except ImportError:
        return CheckReport(language, ())
    tree = Parser(Language(grammar.language())).parse(code.encode("utf-8"))
    findings: list[Finding] = []
    stack = [tree.root_node]
    while stack and len(findings) < 10:
        node = stack.pop()
        if node.is_error or node.is_missing:
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            snippet = code.encode("utf-8")[node.start_byte : node.end_byte][:40].decode("utf-8", "replace")
            message = f"{what} near {snippet!r}" if snippet else what
            findings.append(Finding(f"tree-sitter-{language}", "syntax", message, node.start_point[0] + 1, "fatal"))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    findings.sort(key=lambda f: f.line or 0)
    return CheckReport(language, (f"tree-sitter-{language}",), tuple(findings))
