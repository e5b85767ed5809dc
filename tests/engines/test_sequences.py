"""How the embedded engine groups answers that share a prompt into batches that fit its context."""

from __future__ import annotations

from aigc.engines.sequences import common_prefix, groups


def test_answers_that_fit_go_together_up_to_the_group_size() -> None:
    assert groups([100] * 5, room=1000, size=8) == [[0, 1, 2, 3, 4]]
    assert groups([100] * 5, room=1000, size=2) == [[0, 1], [2, 3], [4]]


def test_answers_whose_tokens_do_not_fit_are_split_and_one_alone_always_goes() -> None:
    assert groups([600, 600, 300, 100], room=1000, size=8) == [[0], [1, 2, 3]]
    assert groups([5000, 10], room=1000, size=8) == [[0], [1]]  # the engine refuses an answer that cannot fit


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2
