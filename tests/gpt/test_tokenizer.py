"""The from-scratch tokenizer against llama.cpp's, on the same GGUF, token for token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aigc.gpt.tokenizer import StreamDecoder, Tokenizer, bytes_to_unicode
from tests.gpt.corpus import CORPUS, SPECIAL


def test_bytes_to_unicode_is_a_bijection_onto_visible_characters() -> None:
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert table[ord("A")] == "A" and table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ"


def test_merges_apply_best_rank_first() -> None:
    tokens = ["a", "b", "c", "ab", "bc", "abc"]
    tok = Tokenizer(tokens=tokens, merges=["b c", "a bc", "a b"], types=[1] * 6, pre="gpt2")
    assert tok.encode("abc") == [5]  # b+c first (rank 0), then a+bc: not a+b
    tok2 = Tokenizer(tokens=tokens, merges=["a b", "b c"], types=[1] * 6, pre="gpt2")
    assert tok2.encode("abc") == [3, 2]


@pytest.fixture(scope="module")
def pair(model_path_any: Path) -> Iterator[tuple[Tokenizer, Any]]:
    from llama_cpp import Llama

    from aigc.gpt.gguf_file import open_gguf

    ours = Tokenizer.from_gguf_metadata(open_gguf(model_path_any).metadata)
    theirs = Llama(model_path=str(model_path_any), vocab_only=True, verbose=False)
    yield ours, theirs
    theirs.close()


@pytest.mark.model
@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_same_tokens_as_llama_cpp(pair: tuple[Tokenizer, Any], text: str) -> None:
    ours, theirs = pair
    expected = theirs.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    assert ours.encode(text) == expected
    assert ours.decode(expected) == text


@pytest.mark.model
def test_special_tokens_split_out_only_when_asked(pair: tuple[Tokenizer, Any]) -> None:
    ours, theirs = pair
    for special in (True, False):
        expected = theirs.tokenize(SPECIAL.encode("utf-8"), add_bos=False, special=special)
        assert ours.encode(SPECIAL, special=special) == expected
    assert ours.encode("<|im_end|>", special=True) == [151645] and 151645 in ours.end_ids


@pytest.mark.model
def test_streamed_decoding_waits_for_whole_characters(pair: tuple[Tokenizer, Any]) -> None:
    ours, _ = pair
    ids = ours.encode("🙂 写")
    stream = StreamDecoder(ours)
    parts = [stream.feed(i) for i in ids] + [stream.flush()]
    assert "".join(parts) == "🙂 写" and "\ufffd" not in "".join(parts)
    assert any(p == "" for p in parts)  # a character split over tokens came out once whole
