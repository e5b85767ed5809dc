"""Byte-level BPE (GPT-2, Qwen2): text -> token ids with the GGUF's own vocabulary and merges.

1. Special tokens (<|im_start|>, ...) are cut out of the text first and map straight to their ids:
   control tokens when `special` is asked for (chat templates), user-defined tokens always (as llama.cpp).
2. The rest is split into pieces by the pre-tokenizer's regular expression (words with their leading
   space, single digits, runs of punctuation, runs of whitespace), so merges never cross those bounds.
3. Each piece becomes UTF-8 bytes, each byte a printable stand-in character (GPT-2's bytes_to_unicode,
   so that every byte sequence is spellable with the vocabulary), and then byte pairs are merged, always
   the pair whose merge rule ranks first, until no rule applies. The merged symbols are the tokens.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import regex

# The pre-tokenizer patterns llama.cpp uses for these vocabularies (llama-vocab.cpp).
PRE_TOKENIZERS = {
    "qwen2": r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "gpt2": r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
}
NORMAL, CONTROL, USER_DEFINED = 1, 3, 4


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a visible character: printable bytes stand for themselves, the
    others (controls, space, ...) take the characters from U+0100 on, in order."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


@dataclass
class Tokenizer:
    tokens: list[str]
    merges: list[str]
    types: list[int]
    pre: str = "qwen2"
    eos_id: int | None = None
    bos_id: int | None = None
    add_bos: bool = False
    _ids: dict[str, int] = field(init=False, repr=False)
    _ranks: dict[tuple[str, str], int] = field(init=False, repr=False)
    _cache: dict[str, list[int]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = {t: i for i, t in enumerate(self.tokens)}
        self._ranks = {}
        for rank, rule in enumerate(self.merges):
            left, _, right = rule.partition(" ")
            self._ranks[(left, right)] = rank
        self._byte_char = bytes_to_unicode()
        self._char_byte = {c: b for b, c in self._byte_char.items()}
        self._split = regex.compile(PRE_TOKENIZERS.get(self.pre, PRE_TOKENIZERS["gpt2"]))
        specials = [i for i, t in enumerate(self.types) if t in (CONTROL, USER_DEFINED)]
        self.control = {i for i in specials if self.types[i] == CONTROL}
        self._special_re = {
            flag: regex.compile(
                "|".join(
                    regex.escape(self.tokens[i])
                    for i in sorted(
                        (i for i in specials if flag or self.types[i] == USER_DEFINED),
                        key=lambda i: -len(self.tokens[i]),
                    )
                )
            )
            for flag in (True, False)
        }

    @classmethod
    def from_gguf_metadata(cls, meta: dict[str, Any]) -> Tokenizer:
        model = meta.get("tokenizer.ggml.model")
        if model != "gpt2":
            raise ValueError(f"tokenizer {model!r} is not supported (byte-level BPE, 'gpt2', is)")
        tokens = list(meta["tokenizer.ggml.tokens"])
        return cls(
            tokens=tokens,
            merges=list(meta.get("tokenizer.ggml.merges", [])),
            types=list(meta.get("tokenizer.ggml.token_type", [NORMAL] * len(tokens))),
            pre=str(meta.get("tokenizer.ggml.pre", "gpt2")),
            eos_id=meta.get("tokenizer.ggml.eos_token_id"),
            bos_id=meta.get("tokenizer.ggml.bos_token_id"),
            add_bos=bool(meta.get("tokenizer.ggml.add_bos_token", False)),
        )

    @property
    def end_ids(self) -> set[int]:
        """Tokens that end a generation: the end-of-sequence token and the chat turn enders."""
        ends = {self._ids[t] for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>") if t in self._ids}
        return ends | ({self.eos_id} if self.eos_id is not None else set())

    def encode(self, text: str, *, special: bool = False) -> list[int]:
        ids: list[int] = [self.bos_id] if self.add_bos and self.bos_id is not None else []
        pattern = self._special_re[special]
        at = 0
        for m in pattern.finditer(text) if pattern.pattern else ():
            ids += self._encode_plain(text[at : m.start()])
            ids.append(self._ids[m.group(0)])
            at = m.end()
        return ids + self._encode_plain(text[at:])

    def _encode_plain(self, text: str) -> list[int]:
        out: list[int] = []
        for piece in self._split.findall(text):
            if piece not in self._cache:
                self._cache[piece] = self._bpe("".join(self._byte_char[b] for b in piece.encode("utf-8")))
            out += self._cache[piece]
        return out

    def _bpe(self, word: str) -> list[int]:
        """Merge the adjacent pair with the best (lowest) rank, again and again, until none is in the rules."""
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self._ranks.get(pair, -1), i) for i, pair in enumerate(itertools.pairwise(symbols))]
            candidates = [(r, i) for r, i in ranked if r >= 0]
            if not candidates:
                break
            best = min(candidates)[0]
            merged: list[str] = []
            i = 0
            while i < len(symbols):  # every occurrence of the best pair, left to right
                if i + 1 < len(symbols) and self._ranks.get((symbols[i], symbols[i + 1])) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return [self._ids[s] for s in symbols]

    def token_bytes(self, token: int) -> bytes:
        """What the token writes: its bytes (a special token writes its own name)."""
        text = self.tokens[token]
        if self.types[token] in (CONTROL, USER_DEFINED):
            return text.encode("utf-8")
        return bytes(self._char_byte[c] for c in text if c in self._char_byte)

    def decode(self, ids: Iterable[int], *, skip_special: bool = False) -> str:
        data = b"".join(self.token_bytes(i) for i in ids if not (skip_special and i in self.control))
        return data.decode("utf-8", errors="replace")

    def piece(self, token: int) -> str:
        """One token shown on its own (a token that is part of a multi-byte character shows as bytes)."""
        data = self.token_bytes(token)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "".join(f"<0x{b:02X}>" for b in data)


class StreamDecoder:
    """Token ids in, text out as soon as it is whole UTF-8 (a Chinese character can span two tokens)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, token: int) -> str:
        return self._decoder.decode(self.tokenizer.token_bytes(token))

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)
