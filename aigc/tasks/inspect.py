"""`aigc inspect`: generate with the from-scratch model and keep, for every token, why it was chosen.

The CLI renders the result as a table, an attention heatmap (PNG) and a self-contained HTML page; the
server's "why this token" view shows the same JSON.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aigc.engines.base import GenerationParams, Message, Request
from aigc.errors import UsageError

if TYPE_CHECKING:
    from aigc.engines.gpt import GPTEngine
    from aigc.gpt.generate import Step

Mode = Literal["chat", "raw"]
_CODE_START = re.compile(
    r"^\s*(def |class |import |from \S+ import|async def |@\w|#|//|/\*|function\b|const |let |var |public |private |"
    r"package |<\w|<!|\{|SELECT\b|CREATE\b|#include|fn |func |using |namespace )",
    re.IGNORECASE,
)


def choose_mode(prompt: str, chat: bool | None) -> Mode:
    """Chat for a request in words; raw continuation for text that starts like code. `chat` overrides."""
    if chat is not None:
        return "chat" if chat else "raw"
    return "raw" if _CODE_START.match(prompt) else "chat"


def parse_head(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not m:
        raise UsageError(f"--attention wants LAYER:HEAD (e.g. 12:3), got {text!r}")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class PromptToken:
    token: int
    piece: str


@dataclass
class InspectResult:
    model: str
    prompt: str
    mode: Mode
    prompt_tokens: list[PromptToken]
    steps: list[Step]
    attention_head: tuple[int, int] | None
    seconds: float
    n_layer: int
    n_head: int

    @property
    def text(self) -> str:
        return "".join(s.piece for s in self.steps if not s.end)

    @property
    def tokens_per_s(self) -> float:
        decode = sum(s.seconds for s in self.steps[1:])
        return (len(self.steps) - 1) / decode if len(self.steps) > 1 and decode > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt": self.prompt,
            "mode": self.mode,
            "prompt_tokens": [asdict(t) for t in self.prompt_tokens],
            "steps": [asdict(s) for s in self.steps],
            "attention_head": list(self.attention_head) if self.attention_head else None,
            "text": self.text,
            "seconds": round(self.seconds, 3),
            "tokens_per_s": round(self.tokens_per_s, 2),
            "layers": self.n_layer,
            "heads": self.n_head,
        }


def inspect(
    prompt: str,
    engine: GPTEngine,
    *,
    max_tokens: int = 32,
    top: int = 5,
    attention: tuple[int, int] | None = None,
    chat: bool | None = None,
    temperature: float = 0.0,
    seed: int | None = None,
    on_step: Callable[[Step], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> InspectResult:
    from aigc.gpt.generate import Sampling, steps

    if not prompt.strip():
        raise UsageError("the prompt is empty: give text to continue or a request to answer")
    if not 1 <= top <= 20:
        raise UsageError(f"--top must be between 1 and 20, got {top}")
    mode = choose_mode(prompt, chat)
    params = GenerationParams(max_tokens=max_tokens, temperature=temperature)
    request = (
        Request.chat([Message("user", prompt)], params) if mode == "chat" else Request(prompt=prompt, params=params)
    )
    tokens = engine.prompt_tokens(request)
    engine.check_fits(tokens, max_tokens)
    config = engine.model.config
    sampling = Sampling(replace(params, seed=seed), top=top, attention=attention)
    try:
        generator = steps(engine.model, engine.tokenizer, tokens, sampling)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    start = time.perf_counter()
    kept: list[Step] = []
    try:
        for step in generator:
            kept.append(step)
            if on_step is not None:
                on_step(step)
            if cancelled is not None and cancelled():
                break
    except ValueError as exc:  # an attention head that does not exist
        raise UsageError(str(exc)) from exc
    prompt_view = [PromptToken(t, engine.tokenizer.piece(t)) for t in tokens]
    return InspectResult(
        engine.model_name,
        prompt,
        mode,
        prompt_view,
        kept,
        attention,
        time.perf_counter() - start,
        config.n_layer,
        config.n_head,
    )


def _label(piece: str) -> str:
    """A token as a tick label: spaces, newlines and tabs made visible."""
    return piece.replace(" ", "␣").replace("\n", "↵").replace("\t", "→") or "∅"


def heatmap(result: InspectResult, path: Path) -> Path:
    """Rows: the generated tokens; columns: every position before them; colour: the attention weight."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import font_manager

    if result.attention_head is None:
        raise UsageError("no attention was recorded: pass --attention LAYER:HEAD")
    rows = [s for s in result.steps if s.attention is not None]
    labels = [_label(t.piece) for t in result.prompt_tokens] + [_label(s.piece) for s in rows[:-1]]
    grid = np.full((len(rows), len(labels)), np.nan)
    for i, s in enumerate(rows):
        assert s.attention is not None
        grid[i, : len(s.attention)] = s.attention
    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "Noto Sans SC" in f.name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the font lacks is drawn as a box, not an error
        plt.rcParams["font.family"] = [*cjk[:1], "DejaVu Sans"]
        width = min(40.0, 2 + 0.22 * len(labels))
        fig, ax = plt.subplots(figsize=(width, 2 + 0.25 * len(rows)))
        image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0.0)
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(rows)), [_label(s.piece) for s in rows], fontsize=7)
        layer, head = result.attention_head
        title = f"{result.model}\nattention of layer {layer}, head {head}: row = new token, column = earlier token"
        ax.set_title(title, fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.02)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return path


def view_assets() -> tuple[str, str]:
    """The token view's script and style, shared by the HTML page and the server's page."""
    folder = resources.files("aigc.gpt")
    return (folder / "inspect_view.js").read_text(encoding="utf-8"), (folder / "inspect_view.css").read_text(
        encoding="utf-8"
    )


def html_page(result: InspectResult) -> str:
    """One self-contained file: the data, the script and the style inline; nothing fetched."""
    from html import escape

    script, style = view_assets()
    data = json.dumps(result.to_json(), ensure_ascii=False).replace("</", "<\\/")
    title = escape(f"Why these tokens: {result.prompt[:60]}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{style}</style></head>
<body><div id="inspect-view" class="inspect"></div>
<script id="inspect-data" type="application/json">{data}</script>
<script>{script}</script>
<script>AigcInspect.render(document.getElementById("inspect-view"),
  JSON.parse(document.getElementById("inspect-data").textContent));</script>
</body></html>
"""
