"""A GPT written from its formulas, in PyTorch, that loads the embedded model's GGUF weights.

One module per concept, each readable on its own:

    config.py      GPTConfig: the shape of a model (Qwen2-style or classic GPT-2-style)
    embedding.py   token (and learned position) embeddings: x_0 = E[token] (+ P[position])
    rope.py        rotary position encoding: rotate q and k by position-dependent angles
    attention.py   causal self-attention softmax(Q K^T / sqrt(d_k)) V, multi-head, grouped-query, KV cache
    mlp.py         the feed-forward network: SwiGLU (Qwen2) or GELU (GPT-2)
    norm.py        RMSNorm and LayerNorm
    model.py       the decoder: blocks of x + attention(norm(x)), x + mlp(norm(x)); logits = norm(x) W_out^T
    sampling.py    P(y_t | y_<t, x) = softmax(logits / T), then greedy, top-k, top-p
    dequant.py     GGUF's block formats (Q4_K, Q6_K, Q8_0, Q5_0, ...) decoded to float32
    gguf_load.py   a GGUF file -> GPTConfig + weights
    tokenizer.py   byte-level BPE from the GGUF's vocabulary and merges
    generate.py    token-by-token generation that records why each token was chosen

Importing this package needs torch (`pip install 'aigc-coder[gpt]'`; the Makefile installs it).
"""
