"""What `aigc inspect` writes besides its table: the attention heatmap (PNG) and the token view as one
self-contained HTML page, from the task's InspectResult (aigc.tasks.inspect)."""

from __future__ import annotations

import json
import warnings
from html import escape
from importlib import resources
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager

from aigc.errors import UsageError
from aigc.tasks.inspect import InspectResult


def _label(piece: str) -> str:
    """A token as a tick label: spaces, newlines and tabs made visible."""
    return piece.replace(" ", "␣").replace("\n", "↵").replace("\t", "→") or "∅"


def heatmap(result: InspectResult, path: Path) -> Path:
    """Rows: the generated tokens; columns: every position before them; colour: the attention weight."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after choosing the backend

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
    """The token view's script and style: the server's page serves the same files (aigc/server/static)."""
    folder = resources.files("aigc.server") / "static"
    return (folder / "inspect.js").read_text(encoding="utf-8"), (folder / "inspect.css").read_text(encoding="utf-8")


def html_page(result: InspectResult) -> str:
    """One self-contained file: the data, the script and the style inline; nothing fetched."""
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
