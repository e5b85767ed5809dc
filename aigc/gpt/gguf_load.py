"""A GGUF file -> a GPTConfig and the model's weights as float32 tensors.

aigc.gpt.gguf_file reads the container (header, metadata, tensor table, memory-mapped data);
aigc.gpt.dequant decodes each tensor; the names map onto the modules of aigc.gpt.model. Supported architectures: qwen2,
llama (the same blocks without q/k/v biases; its GGUF stores Q and K for interleaved rotary pairs) and gpt2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aigc.errors import ModelCorrupted
from aigc.gpt.config import GPTConfig
from aigc.gpt.dequant import dequantize
from aigc.gpt.gguf_file import GGUFError, open_gguf
from aigc.gpt.model import GPT

SUPPORTED = ("qwen2", "llama", "gpt2")

# GGUF name (blk.N. prefix removed) -> the model's parameter name (blocks.N. prefix added)
_BLOCK = {
    "attn_norm.weight": "attn_norm.weight", "attn_norm.bias": "attn_norm.bias",
    "attn_q.weight": "attn.q.weight", "attn_q.bias": "attn.q.bias",
    "attn_k.weight": "attn.k.weight", "attn_k.bias": "attn.k.bias",
    "attn_v.weight": "attn.v.weight", "attn_v.bias": "attn.v.bias",
    "attn_output.weight": "attn.o.weight", "attn_output.bias": "attn.o.bias",
    "ffn_norm.weight": "mlp_norm.weight", "ffn_norm.bias": "mlp_norm.bias",
    "ffn_gate.weight": "mlp.gate.weight",
    "ffn_up.weight": "mlp.up.weight", "ffn_up.bias": "mlp.up.bias",
    "ffn_down.weight": "mlp.down.weight", "ffn_down.bias": "mlp.down.bias",
}  # fmt: skip
_TOP = {
    "token_embd.weight": "embed.tokens.weight",
    "position_embd.weight": "embed.positions.weight",
    "output_norm.weight": "norm.weight",
    "output_norm.bias": "norm.bias",
    "output.weight": "lm_head.weight",
}


@dataclass
class GGUFModel:
    config: GPTConfig
    metadata: dict[str, Any]
    weights: dict[str, torch.Tensor]  # parameter name -> float32 tensor


def config_from(meta: dict[str, Any], tensors: set[str]) -> GPTConfig:
    arch = meta.get("general.architecture")
    if arch not in SUPPORTED:
        raise ModelCorrupted(
            f"architecture {arch!r} is not supported by the from-scratch model ({', '.join(SUPPORTED)})"
        )

    def get(key: str, default: Any = None) -> Any:
        return meta.get(f"{arch}.{key}", default)

    common: dict[str, Any] = {
        "vocab_size": len(meta["tokenizer.ggml.tokens"]),
        "n_layer": int(get("block_count")),
        "n_head": int(get("attention.head_count")),
        "d_model": int(get("embedding_length")),
        "d_ff": int(get("feed_forward_length")),
        "max_positions": int(get("context_length", 2048)),
        "tie_embeddings": "output.weight" not in tensors,
    }
    if arch == "gpt2":
        return GPTConfig.gpt2(norm_eps=float(get("attention.layer_norm_epsilon", 1e-5)), **common)
    return GPTConfig.qwen2(
        n_kv_head=int(get("attention.head_count_kv", common["n_head"])),
        norm_eps=float(get("attention.layer_norm_rms_epsilon", 1e-6)),
        rope_theta=float(get("rope.freq_base", 10000.0)),
        rope_style="neox" if arch == "qwen2" else "interleaved",
        qkv_bias="blk.0.attn_q.bias" in tensors,
        **common,
    )


def _param_name(name: str) -> str | None:
    if name in _TOP:
        return _TOP[name]
    m = re.match(r"blk\.(\d+)\.(.+)$", name)
    if m and m.group(2) in _BLOCK:
        return f"blocks.{m.group(1)}.{_BLOCK[m.group(2)]}"
    return None


def read(path: Path) -> GGUFModel:
    try:
        gguf = open_gguf(path)
    except (GGUFError, OSError) as exc:
        raise ModelCorrupted(f"{path} is not a readable GGUF file: {exc}") from exc
    meta = gguf.metadata
    config = config_from(meta, {t.name for t in gguf.tensors})
    weights: dict[str, torch.Tensor] = {}
    for t in gguf.tensors:
        shape = tuple(reversed(t.shape))  # ggml lists the row length first; torch wants (rows, row length)
        try:
            data = dequantize(gguf.raw(t), t.ggml_type, shape)
        except (GGUFError, ValueError) as exc:
            raise ModelCorrupted(f"{path}: cannot decode tensor {t.name}: {exc}") from exc
        if ".attn_qkv." in t.name:  # GPT-2 fuses q, k, v
            block, kind = t.name.split(".attn_qkv.")
            for part, chunk in zip("qkv", np.split(data, 3, axis=0), strict=True):
                weights[f"blocks.{block.split('.')[1]}.attn.{part}.{kind}"] = torch.from_numpy(chunk.copy())
            continue
        target = _param_name(t.name)
        if target is not None:
            weights[target] = torch.from_numpy(data)
    return GGUFModel(config, meta, weights)


def load_model(
    path: Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> tuple[GPT, dict[str, Any]]:
    """The from-scratch GPT with the file's weights, decoded to float32 and then stored as `dtype` (bfloat16
    or float16 halve the memory each token reads, at some precision), and the file's metadata."""
    loaded = read(path)
    with torch.device("meta"):
        model = GPT(loaded.config)
    weights = loaded.weights
    if loaded.config.tie_embeddings:
        weights["lm_head.weight"] = weights["embed.tokens.weight"]
    expected = set(model.state_dict())
    missing, extra = expected - set(weights), set(weights) - expected
    if missing or extra:
        raise ModelCorrupted(
            f"{path}: tensors do not match the architecture (missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(extra)[:5]})"
        )
    model.load_state_dict(weights, assign=True, strict=True)
    if loaded.config.tie_embeddings:
        model.lm_head.weight = model.embed.tokens.weight
    return model.to(device=device, dtype=dtype).eval(), loaded.metadata
