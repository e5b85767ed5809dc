"""Find the code in a model's reply: fenced blocks, their languages, the files they name, the main one.

Models answer in Markdown. A reply may hold one block, a solution plus an example-usage block, an
install command, or several files each introduced by its path. `extract` returns every block and
picks the one that answers the requirement.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from aigc.code import languages

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
_PATH_CHARS = r"[\w\-.]+(?:/[\w\-.]+)*"
_PATH = re.compile(rf"(?<![\w/.])({_PATH_CHARS}\.[A-Za-z0-9]{{1,10}}|Dockerfile|Makefile)(?![\w/])")
# A comment on the block's first line that is only a path: "# app.py", "// src/main.js", "<!-- index.html -->"
_COMMENT_PATH = re.compile(
    rf"^\s*(?:#|//|--|/\*|<!--|;)\s*(?:(?:file(?:name)?|path|文件(?:名)?)\s*[:：]\s*)?({_PATH_CHARS}\.[A-Za-z0-9]{{1,10}})"
    r"\s*(?:\*/|-->)?\s*$",
    re.IGNORECASE,
)
_INFO_PATH = re.compile(rf"(?:title|file|filename|path)\s*=\s*\"?({_PATH_CHARS})\"?", re.IGNORECASE)
_COMMANDS = re.compile(r"^\s*(\$\s|pip3? install|npm (install|i|run)|yarn |pnpm |python3? |node |uvicorn |curl |cd )")


@dataclass(frozen=True)
class CodeBlock:
    content: str
    language: str | None
    path: str | None = None
    line: int = 0  # 1-based line of the opening fence in the reply (0 when the reply had no fence)
    closed: bool = True  # False when the reply ended inside the block (cut by max_tokens)


@dataclass(frozen=True)
class SourceFile:
    path: str
    content: str
    language: str | None


@dataclass(frozen=True)
class Extraction:
    blocks: list[CodeBlock]
    main: CodeBlock | None
    files: list[SourceFile] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.main.content if self.main else ""

    @property
    def language(self) -> str | None:
        return self.main.language if self.main else None


# Dot files a reply may write: inert ones. Not .git/ (core.fsmonitor runs a command), .vscode/ (tasks),
# .envrc (direnv), .bashrc, .npmrc, .pth files or any other hidden folder.
SAFE_DOT_FILES = frozenset({".gitignore", ".dockerignore", ".editorconfig", ".prettierrc", ".nvmrc"})


def safe_path(path: str | None) -> str | None:
    """A relative path with no '..', absolute or hidden part (bar a few inert dot files), else None: a reply
    never writes outside -o, nor into a .git or editor folder inside it."""
    if not path:
        return None
    path = path.strip().strip("`*'\"")
    path = path.removeprefix("./")
    parts = path.split("/")
    if not path or path.startswith(("/", "~")) or ".." in parts or any(p == "" for p in parts):
        return None
    if any(p.startswith(".") for p in parts[:-1]) or (parts[-1].startswith(".") and parts[-1] not in SAFE_DOT_FILES):
        return None
    if any(ord(c) < 32 or c == "\\" for c in path):
        return None
    return path


def _info_language_and_path(info: str) -> tuple[str | None, str | None]:
    """'python', 'python title=app.py', 'python:app.py', 'app.py', '{.python}' -> (language, path)."""
    info = info.strip().strip("{}").lstrip(".")
    if not info:
        return None, None
    m = _INFO_PATH.search(info)
    path = m[1] if m else None
    word = re.split(r"[\s:,{]", info, maxsplit=1)[0]
    rest = info[len(word) :].lstrip(" :")
    language = languages.normalize(word)
    if language is None and "." in word:
        path, language = path or word, languages.from_path(word)
    elif path is None and rest and _PATH.fullmatch(rest.split()[0]):
        path = rest.split()[0]
    return language, path


def _path_before(lines: list[str], fence_index: int) -> str | None:
    """A path named on the last non-empty line before a fence ('**app.py**', '### `src/db.js`', 'app.py:')."""
    for i in range(fence_index - 1, max(-1, fence_index - 3), -1):
        text = lines[i].strip()
        if not text:
            continue
        if len(text) > 120 or text.startswith(("```", "~~~")):
            return None
        found = _PATH.findall(text)
        return found[-1] if len(found) == 1 else None
    return None


def find_blocks(reply: str) -> list[CodeBlock]:
    lines = reply.splitlines()
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        language, path = _info_language_and_path(m["info"])
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                closed = True
                break
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        if path is None and body and (cm := _COMMENT_PATH.match(body[0])):
            path = cm[1]
        elif path is None and body and _PATH.fullmatch(body[0].strip()) and languages.from_path(body[0].strip()):
            path = body.pop(0).strip()  # a bare "package.json" line naming the block, not part of it
        content = "\n".join(body)
        path = safe_path(path or _path_before(lines, i))
        if language is None and path:
            language = languages.from_path(path)
        blocks.append(CodeBlock(content + "\n" if content else "", language, path, i + 1, closed))
        i = j + 1
    return blocks


def _looks_like(block: CodeBlock, language: str) -> bool:
    if block.language is not None:
        return block.language == language
    if language == "python":
        return _parses_as_python(block.content)
    return False


def _parses_as_python(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _defines(block: CodeBlock) -> bool:
    """Whether a block defines something (a function, class, component), not just uses it."""
    return bool(
        re.search(
            r"^\s*(async\s+)?(def|class|function|fn|func|interface|struct|export|const\s+\w+\s*=\s*(\(|async|function))\b"
            r"|^\s*(public|private|static)\b|CREATE\s+TABLE|<html|<!DOCTYPE|^\s*[.#]?[\w-]+\s*\{",
            block.content,
            re.MULTILINE | re.IGNORECASE,
        )
    )


def _is_commands(block: CodeBlock) -> bool:
    lines = [ln for ln in block.content.splitlines() if ln.strip()]
    return bool(lines) and all(_COMMANDS.match(ln) for ln in lines)


def choose_main(blocks: list[CodeBlock], language: str | None) -> CodeBlock | None:
    """The block that answers the requirement: in the asked language, defining things, the fullest."""
    if not blocks:
        return None
    pool = [b for b in blocks if b.content.strip()]
    if language != "bash":
        pool = [b for b in pool if not _is_commands(b) and b.language != "text"] or pool
    if language:
        pool = [b for b in pool if _looks_like(b, language)] or pool
    if not pool:
        return blocks[0]
    defining = [b for b in pool if _defines(b)] or pool
    # The fullest definition wins; on a tie the later one (models often end with the complete version).
    return max(reversed(defining), key=lambda b: len(b.content.strip().splitlines()))


def _unfenced(reply: str, language: str | None) -> CodeBlock | None:
    """A reply with no fence at all that is nevertheless code (some servers strip the Markdown)."""
    text = reply.strip("\n")
    if not text.strip():
        return None
    if language in (None, "python") and _parses_as_python(text) and re.search(r"^\s*(def|class|import)\b", text, re.M):
        return CodeBlock(text + "\n", "python")
    return None


def _name_unnamed(blocks: list[CodeBlock], requirement: str) -> list[CodeBlock]:
    """When a reply names some of its files, give the unnamed code blocks names too: a path the
    requirement mentions with the block's extension, else main.<ext>."""
    if not any(b.path for b in blocks):
        return blocks
    taken = {b.path for b in blocks if b.path}
    mentioned = [p for p in _PATH.findall(requirement) if safe_path(p)]
    named = []
    for b in blocks:
        if b.path is None and b.content.strip() and not _is_commands(b) and b.language not in (None, "text"):
            ext = languages.extension(b.language)
            choice = next((p for p in mentioned if p.endswith(ext) and p not in taken), None)
            if choice is None and f"main{ext}" not in taken:
                choice = f"main{ext}"
            if choice is not None:
                taken.add(choice)
                b = CodeBlock(b.content, b.language, choice, b.line, b.closed)
        named.append(b)
    return named


def extract(reply: str, language: str | None = None, requirement: str = "") -> Extraction:
    """Every block of a reply, the main one for `language`, and the files it names.

    `requirement` (optional) lends names to unnamed blocks of a multi-file reply.
    """
    language = languages.normalize(language) or language
    blocks = _name_unnamed(find_blocks(reply), requirement)
    if not blocks:
        bare = _unfenced(reply, language)
        blocks = [bare] if bare else []
    main = choose_main(blocks, language)
    if main is not None and main.language is None and language:
        main = CodeBlock(main.content, language, main.path, main.line, main.closed)
    files: dict[str, SourceFile] = {}
    for block in blocks:
        if block.path and block.content.strip():
            files[block.path] = SourceFile(block.path, block.content, block.language)
    return Extraction(blocks, main, list(files.values()))
