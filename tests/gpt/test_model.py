"""The from-scratch GPT on tiny random configs against a straightforward reference: the formulas written out
position by position and head by head in NumPy, with no cache, no batching and no torch."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from aigc.gpt.config import GPTConfig
from aigc.gpt.gguf_load import load_model
from aigc.gpt.model import GPT
from aigc.gpt.sampling import choose, entropy_bits, filtered, probabilities


def random_model(config: GPTConfig, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    model = GPT(config)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return model.eval()


def reference_logits(model: GPT, tokens: list[int]) -> np.ndarray:
    """The decoder, spelled out: one position and one head at a time."""
    c = model.config
    W = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    hd = c.head_dim

    def norm(x: np.ndarray, prefix: str) -> np.ndarray:
        if c.norm == "rms":
            return x / np.sqrt(np.mean(x * x) + c.norm_eps) * W[prefix + ".weight"]
        mu, var = x.mean(), x.var()
        return (x - mu) / np.sqrt(var + c.norm_eps) * W[prefix + ".weight"] + W[prefix + ".bias"]

    def linear(x: np.ndarray, name: str) -> np.ndarray:
        y = W[name + ".weight"] @ x
        return y + W[name + ".bias"] if name + ".bias" in W else y

    def rotate(v: np.ndarray, pos: int) -> np.ndarray:
        out = v.copy()
        for i in range(hd // 2):
            angle = pos * c.rope_theta ** (-2 * i / hd)
            a, b = (i, i + hd // 2) if c.rope_style == "neox" else (2 * i, 2 * i + 1)
            out[a] = v[a] * math.cos(angle) - v[b] * math.sin(angle)
            out[b] = v[b] * math.cos(angle) + v[a] * math.sin(angle)
        return out

    xs = [W["embed.tokens.weight"][t] + (W["embed.positions.weight"][p] if c.positions == "learned" else 0)
          for p, t in enumerate(tokens)]  # fmt: skip
    for layer in range(c.n_layer):
        pre = f"blocks.{layer}."
        h = [norm(x, pre + "attn_norm") for x in xs]
        q = [linear(v, pre + "attn.q") for v in h]
        k = [linear(v, pre + "attn.k") for v in h]
        v_ = [linear(v, pre + "attn.v") for v in h]
        mixed = []
        for t in range(len(xs)):
            heads = []
            for head in range(c.n_head):
                kv = head // (c.n_head // c.kv_heads)  # the key/value head this query head shares
                qh = q[t][head * hd : (head + 1) * hd]
                if c.positions == "rope":
                    qh = rotate(qh, t)
                scores = []
                for s in range(t + 1):  # causal: only positions up to t
                    kh = k[s][kv * hd : (kv + 1) * hd]
                    if c.positions == "rope":
                        kh = rotate(kh, s)
                    scores.append(qh @ kh / math.sqrt(hd))
                w = np.exp(np.array(scores) - max(scores))
                w /= w.sum()
                heads.append(sum(w[s] * v_[s][kv * hd : (kv + 1) * hd] for s in range(t + 1)))
            mixed.append(linear(np.concatenate(heads), pre + "attn.o"))
        xs = [x + m for x, m in zip(xs, mixed, strict=True)]
        out = []
        for x in xs:
            h2 = norm(x, pre + "mlp_norm")
            if c.mlp == "swiglu":
                g = linear(h2, pre + "mlp.gate")
                ff = linear(g / (1 + np.exp(-g)) * linear(h2, pre + "mlp.up"), pre + "mlp.down")
            else:
                u = linear(h2, pre + "mlp.up")
                gelu = 0.5 * u * (1 + np.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u**3)))
                ff = linear(gelu, pre + "mlp.down")
            out.append(x + ff)
        xs = out
    return np.stack([W["lm_head.weight"] @ norm(x, "norm") for x in xs])


CONFIGS = {
    "qwen2-gqa": GPTConfig.qwen2(vocab_size=37, n_layer=2, n_head=4, n_kv_head=2, d_model=16, d_ff=24,
                                 rope_theta=10000.0),
    "llama-interleaved": GPTConfig.qwen2(vocab_size=37, n_layer=2, n_head=2, n_kv_head=1, d_model=16, d_ff=20,
                                         rope_style="interleaved", qkv_bias=False, rope_theta=500.0),
    "gpt2": GPTConfig.gpt2(vocab_size=41, n_layer=2, n_head=2, d_model=12, d_ff=48, max_positions=32),
    "tied": GPTConfig.qwen2(vocab_size=29, n_layer=1, n_head=2, d_model=8, d_ff=16, tie_embeddings=True),
}  # fmt: skip


@pytest.mark.parametrize("name", CONFIGS)
def test_the_model_computes_what_the_formulas_say(name: str) -> None:
    model = random_model(CONFIGS[name])
    tokens = [3, 1, 4, 1, 5, 9, 2, 6]
    ours = model(torch.tensor([tokens])).logits[0].double().numpy()
    np.testing.assert_allclose(ours, reference_logits(model, tokens), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", CONFIGS)
def test_the_kv_cache_gives_the_same_logits_one_token_at_a_time(name: str) -> None:
    model = random_model(CONFIGS[name], seed=1)
    tokens = [7, 2, 2, 8, 1, 0, 3]
    full = model(torch.tensor([tokens])).logits[0]
    cache = model.new_cache()
    first = model(torch.tensor([tokens[:3]]), cache).logits[0]
    steps = [model(torch.tensor([[t]]), cache, last_only=True).logits[0, -1] for t in tokens[3:]]
    torch.testing.assert_close(torch.cat([first, torch.stack(steps)]), full, rtol=1e-4, atol=1e-5)
    assert cache.length == len(tokens)


def test_attention_weights_are_causal_rows_that_sum_to_one() -> None:
    model = random_model(CONFIGS["qwen2-gqa"])
    out = model(torch.tensor([[1, 2, 3, 4, 5]]), keep_attention=frozenset({1}))
    w = out.attention[1][0]  # (heads, T, S)
    assert w.shape == (4, 5, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(4, 5))
    assert torch.all(torch.triu(w, diagonal=1) == 0)


def test_sampling() -> None:
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0])
    p = probabilities(logits)
    assert abs(float(p.sum()) - 1) < 1e-6 and int(torch.argmax(p)) == 0
    assert choose(logits, 0.0, 0, 1.0, None) == 0
    top2 = filtered(p, top_k=2)
    assert (top2[2:] == 0).all() and abs(float(top2.sum()) - 1) < 1e-6
    nucleus = filtered(p, top_p=0.5)  # the first token alone holds more than half the mass
    assert nucleus.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert entropy_bits(torch.tensor([0.5, 0.5])) == pytest.approx(1.0)
    g = torch.Generator().manual_seed(0)
    picks = {choose(logits, 5.0, 0, 1.0, g) for _ in range(200)}
    assert picks == {0, 1, 2, 3}  # a high temperature reaches every token


def write_tiny_gguf(path: Path, model: GPT, quantize_linear: bool) -> None:
    """The model's weights in a GGUF file, named as llama.cpp names them, some stored as Q8_0."""
    import gguf
    from gguf.quants import quantize

    c = model.config
    w = gguf.GGUFWriter(str(path), "qwen2")
    w.add_block_count(c.n_layer)
    w.add_context_length(c.max_positions)
    w.add_embedding_length(c.d_model)
    w.add_feed_forward_length(c.d_ff)
    w.add_head_count(c.n_head)
    w.add_head_count_kv(c.kv_heads)
    w.add_rope_freq_base(c.rope_theta)
    w.add_layer_norm_rms_eps(c.norm_eps)
    w.add_tokenizer_model("gpt2")
    w.add_token_list([f"t{i}" for i in range(c.vocab_size)])
    names = {"embed.tokens.weight": "token_embd.weight", "norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}  # fmt: skip
    block = {"attn_norm.weight": "attn_norm.weight", "attn.q.weight": "attn_q.weight", "attn.q.bias": "attn_q.bias",
             "attn.k.weight": "attn_k.weight", "attn.k.bias": "attn_k.bias", "attn.v.weight": "attn_v.weight",
             "attn.v.bias": "attn_v.bias", "attn.o.weight": "attn_output.weight", "mlp_norm.weight": "ffn_norm.weight",
             "mlp.gate.weight": "ffn_gate.weight", "mlp.up.weight": "ffn_up.weight",
             "mlp.down.weight": "ffn_down.weight"}  # fmt: skip
    for key, tensor in model.state_dict().items():
        if key.startswith("blocks."):
            _, i, rest = key.split(".", 2)
            name = f"blk.{i}.{block[rest]}"
        else:
            name = names[key]
        data = tensor.numpy().astype(np.float32)
        if quantize_linear and data.ndim == 2 and data.shape[1] % 32 == 0:
            w.add_tensor(name, quantize(data, gguf.GGMLQuantizationType.Q8_0),
                         raw_dtype=gguf.GGMLQuantizationType.Q8_0)  # fmt: skip
        else:
            w.add_tensor(name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.mark.parametrize("quantized", [False, True], ids=["f32", "q8_0"])
def test_a_gguf_file_loads_into_the_same_model(tmp_path: Path, quantized: bool) -> None:
    config = GPTConfig.qwen2(vocab_size=40, n_layer=2, n_head=4, n_kv_head=2, d_model=32, d_ff=64,
                             max_positions=128, rope_theta=10000.0)  # fmt: skip
    original = random_model(config, seed=3)
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path, original, quantized)
    loaded, meta = load_model(path)
    assert replace(loaded.config, norm_eps=config.norm_eps) == config and meta["general.architecture"] == "qwen2"
    assert loaded.config.norm_eps == pytest.approx(config.norm_eps)  # stored as float32
    tokens = torch.tensor([[5, 7, 11, 13, 17]])
    want, got = original(tokens).logits, loaded(tokens).logits
    if quantized:  # Q8_0 keeps about 2-3 significant digits: the same predictions, close scores
        assert torch.equal(want.argmax(-1), got.argmax(-1))
        torch.testing.assert_close(got, want, rtol=0.05, atol=0.15)
    else:
        torch.testing.assert_close(got, want)


def test_half_precision_weights_keep_the_predictions(tmp_path: Path) -> None:
    config = GPTConfig.qwen2(vocab_size=40, n_layer=2, n_head=4, n_kv_head=2, d_model=32, d_ff=64,
                             max_positions=128, rope_theta=10000.0)  # fmt: skip
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path, random_model(config, seed=4), quantize_linear=False)
    tokens = torch.tensor([[1, 2, 3, 4, 5, 6]])
    full, _ = load_model(path)
    for dtype in (torch.bfloat16, torch.float16):
        half, _ = load_model(path, dtype=dtype)
        assert half.lm_head.weight.dtype == dtype
        got = half(tokens).logits
        assert got.dtype == torch.float32  # scores come back as float32 for the softmax
        torch.testing.assert_close(got, full(tokens).logits, rtol=0.05, atol=0.1)


def test_a_gpt2_style_gguf_with_fused_qkv_loads(tmp_path: Path) -> None:
    import gguf

    config = GPTConfig.gpt2(vocab_size=30, n_layer=2, n_head=2, d_model=8, d_ff=32, max_positions=16)
    original = random_model(config, seed=5)
    sd = {k: v.numpy().astype(np.float32) for k, v in original.state_dict().items()}
    w = gguf.GGUFWriter(str(tmp_path / "gpt2.gguf"), "gpt2")
    w.add_block_count(2)
    w.add_context_length(16)
    w.add_embedding_length(8)
    w.add_feed_forward_length(32)
    w.add_head_count(2)
    w.add_layer_norm_eps(config.norm_eps)
    w.add_tokenizer_model("gpt2")
    w.add_token_list([f"t{i}" for i in range(30)])
    w.add_tensor("token_embd.weight", sd["embed.tokens.weight"])
    w.add_tensor("position_embd.weight", sd["embed.positions.weight"])
    for i in range(2):
        p = f"blocks.{i}."
        for kind in ("weight", "bias"):  # llama.cpp's GPT-2 keeps q, k and v in one matrix
            fused = np.concatenate([sd[f"{p}attn.{x}.{kind}"] for x in "qkv"], axis=0)
            w.add_tensor(f"blk.{i}.attn_qkv.{kind}", fused)
            w.add_tensor(f"blk.{i}.attn_output.{kind}", sd[f"{p}attn.o.{kind}"])
            w.add_tensor(f"blk.{i}.attn_norm.{kind}", sd[f"{p}attn_norm.{kind}"])
            w.add_tensor(f"blk.{i}.ffn_norm.{kind}", sd[f"{p}mlp_norm.{kind}"])
            w.add_tensor(f"blk.{i}.ffn_up.{kind}", sd[f"{p}mlp.up.{kind}"])
            w.add_tensor(f"blk.{i}.ffn_down.{kind}", sd[f"{p}mlp.down.{kind}"])
    w.add_tensor("output_norm.weight", sd["norm.weight"])
    w.add_tensor("output_norm.bias", sd["norm.bias"])
    w.add_tensor("output.weight", sd["lm_head.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    loaded, _ = load_model(tmp_path / "gpt2.gguf")
    assert loaded.config.positions == "learned" and loaded.config.mlp == "gelu" and loaded.config.norm == "layer"
    tokens = torch.tensor([[1, 2, 3, 4, 5]])
    torch.testing.assert_close(loaded(tokens).logits, original(tokens).logits)
