"""Language names as people and models write them, normalized; file extensions per language."""

from __future__ import annotations

import re

_ALIASES = {
    "py": "python", "python3": "python", "py3": "python", "python": "python",
    "js": "javascript", "javascript": "javascript", "node": "javascript", "nodejs": "javascript",
    "jsx": "javascript", "mjs": "javascript",
    "ts": "typescript", "typescript": "typescript", "tsx": "typescript",
    "sh": "bash", "bash": "bash", "shell": "bash", "zsh": "bash", "console": "bash", "shellscript": "bash",
    "html": "html", "htm": "html", "xml": "xml", "css": "css", "scss": "css",
    "sql": "sql", "sqlite": "sql", "mysql": "sql", "postgresql": "sql", "postgres": "sql", "plsql": "sql",
    "json": "json", "yaml": "yaml", "yml": "yaml", "toml": "toml", "ini": "ini",
    "c": "c", "h": "c", "cpp": "cpp", "c++": "cpp", "cc": "cpp", "cxx": "cpp", "hpp": "cpp",
    "java": "java", "go": "go", "golang": "go", "rust": "rust", "rs": "rust", "kotlin": "kotlin",
    "kt": "kotlin", "swift": "swift", "ruby": "ruby", "rb": "ruby", "php": "php", "csharp": "csharp",
    "c#": "csharp", "cs": "csharp", "lua": "lua", "r": "r", "dockerfile": "dockerfile",
    "makefile": "makefile", "vue": "vue", "markdown": "markdown", "md": "markdown",
    "text": "text", "txt": "text", "plaintext": "text", "output": "text", "plain": "text",
}  # fmt: skip

EXTENSIONS = {
    "python": ".py", "javascript": ".js", "typescript": ".ts", "bash": ".sh", "html": ".html",
    "css": ".css", "sql": ".sql", "json": ".json", "yaml": ".yaml", "toml": ".toml", "c": ".c",
    "cpp": ".cpp", "java": ".java", "go": ".go", "rust": ".rs", "kotlin": ".kt", "swift": ".swift",
    "ruby": ".rb", "php": ".php", "csharp": ".cs", "lua": ".lua", "r": ".R", "xml": ".xml",
    "vue": ".vue", "markdown": ".md", "text": ".txt", "ini": ".ini",
}  # fmt: skip

_BY_EXTENSION = {ext: lang for lang, ext in EXTENSIONS.items()} | {
    ".jsx": "javascript", ".mjs": "javascript", ".tsx": "typescript", ".htm": "html",
    ".yml": "yaml", ".h": "c", ".hpp": "cpp", ".cc": "cpp", ".bash": "bash", ".r": "r",
}  # fmt: skip


def normalize(name: str | None) -> str | None:
    """'py' -> 'python', 'JS' -> 'javascript'; None for an empty or unknown name."""
    if not name:
        return None
    return _ALIASES.get(name.strip().lower().lstrip("."))


def from_path(path: str) -> str | None:
    dot = path.rfind(".")
    if dot < 0:
        base = path.rsplit("/", 1)[-1].lower()
        return {"dockerfile": "dockerfile", "makefile": "makefile"}.get(base)
    return _BY_EXTENSION.get(path[dot:].lower())


def extension(language: str | None) -> str:
    return EXTENSIONS.get(language or "", ".txt")


# Words in a requirement that name the target language. Chinese characters count as word characters
# for \b, so ASCII words are delimited by "no ASCII letter or digit" on each side instead.
def _word(w: str) -> str:
    return rf"(?<![a-z0-9]){w}(?![a-z0-9])"


_MENTIONS: list[tuple[str, str]] = [
    (_word("typescript") + "|" + _word("ts"), "typescript"),
    (_word("javascript") + "|" + _word("js") + "|" + _word(r"node\.?js"), "javascript"),
    (_word("html") + "|网页|页面", "html"),
    (_word("css") + "|样式表", "css"),
    (_word("sql") + "|sql语句|查询语句", "sql"),
    (_word("bash") + "|" + _word("shell"), "bash"),
    (_word(r"c\+\+") + "|" + _word("cpp"), "cpp"),
    (_word("java"), "java"),
    (_word("golang") + "|go语言|" + _word("go") + r"(?= (function|program|code))", "go"),
    (_word("rust"), "rust"),
    (_word("python") + "|" + _word("py"), "python"),
]


def guess_from_requirement(requirement: str) -> str | None:
    """The language a requirement names first, if any ('用JavaScript写…', 'a bash script that…')."""
    text = requirement.lower()
    best: tuple[int, str] | None = None
    for pattern, language in _MENTIONS:
        m = re.search(pattern, text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), language)
    return best[1] if best else None
