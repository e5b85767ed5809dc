from __future__ import annotations

from aigc.code.checks import check


def test_python_checks_name_tool_rule_and_line() -> None:
    code = "import os\nimport subprocess\n\n\ndef f(x):\n    subprocess.call(x, shell=True)\n    return missing + x\n"
    report = check(code, "python")
    assert report.tools == ("compile", "ruff", "bandit", "radon")
    by_rule = {(f.tool, f.rule): f for f in report.findings}
    assert by_rule[("ruff", "F401")].severity == "warning" and by_rule[("ruff", "F401")].line == 1
    assert by_rule[("ruff", "F821")].severity == "fatal" and by_rule[("ruff", "F821")].line == 7
    assert by_rule[("bandit", "B602")].severity == "fatal" and by_rule[("bandit", "B602")].line == 6
    assert not report.passed
    assert report.metrics["maintainability_index"] > 0 and report.metrics["max_complexity"] >= 1


def test_clean_python_passes_with_style_notes_only() -> None:
    report = check("def add(a,b):\n    return a+b\n", "python")
    assert report.passed
    assert all(f.severity == "info" for f in report.findings)


def test_python_syntax_error_is_fatal_with_its_line() -> None:
    report = check("def f(:\n    pass\n", "python")
    assert [(f.tool, f.line, f.severity) for f in report.findings] == [("compile", 1, "fatal")]


def test_javascript_and_shell_in_the_sandbox() -> None:
    assert check("const f = (a) => a * 2;\n", "javascript").passed
    bad = check("function f( {\n  return 1\n}\n", "javascript")
    assert not bad.passed and bad.fatal[0].tool == "node --check" and bad.fatal[0].line == 2
    assert check("echo hi\n", "bash").passed
    shell = check("if true; then\necho x\n", "bash")
    assert not shell.passed and shell.fatal[0].tool == "bash -n"


def test_tree_sitter_languages() -> None:
    assert check("<html><body><p>hi</p></body></html>", "html").passed
    assert check("SELECT name FROM users WHERE id = 1;", "sql").passed
    sql = check("SELECT name FROM WHERE id = 1;", "sql")
    assert not sql.passed and sql.fatal[0].tool == "tree-sitter-sql" and sql.fatal[0].line == 1
    css = check("body {\n  color: red;\n", "css")
    assert not css.passed


def test_unknown_language_has_no_checker() -> None:
    report = check("fn main() {}", "rust")
    assert report.tools == () and report.passed
