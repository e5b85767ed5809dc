"""The model queue: one generation at a time, first come first served, cancellable while waiting or running."""

from __future__ import annotations

import threading
import time

import pytest

from aigc.engines.base import GenerationParams, Message, Request, collect
from aigc.engines.fake import FakeEngine
from aigc.server.queue import Cancelled, ModelQueue, QueueFull


def ask(text: str, max_tokens: int = 50) -> Request:
    return Request.chat([Message("user", text)], GenerationParams(max_tokens=max_tokens))


def test_calls_take_turns_in_arrival_order() -> None:
    order: list[str] = []
    engine = FakeEngine(lambda r: r.messages[-1].content + " " + "x " * 10, delay_s=0.005)
    queue = ModelQueue(engine)
    first = queue.engine()
    gate = first.stream(ask("first"))
    next(gate)  # the first call holds the model
    threads = []
    for name in ("second", "third", "fourth"):
        t = threading.Thread(target=lambda n=name: order.append(collect(queue.engine().stream(ask(n)), "m").text))
        t.start()
        threads.append(t)
        while queue.stats().waiting < len(threads):  # each is in line before the next arrives
            time.sleep(0.005)
    assert queue.stats().running == 1
    list(gate)
    for t in threads:
        t.join(10)
    assert [o.split()[0] for o in order] == ["second", "third", "fourth"]
    assert queue.stats().served == 4


def test_a_cancelled_call_leaves_the_line_and_a_running_one_stops() -> None:
    engine = FakeEngine(["word " * 200], delay_s=0.005)
    queue = ModelQueue(engine)
    holder = queue.engine().stream(ask("a", 500))
    next(holder)
    waiting_cancel = threading.Event()
    caught: list[BaseException] = []

    def wait_then_cancelled() -> None:
        try:
            collect(queue.engine(waiting_cancel).stream(ask("b")), "m")
        except Cancelled as exc:
            caught.append(exc)

    t = threading.Thread(target=wait_then_cancelled)
    t.start()
    while queue.stats().waiting == 0:
        time.sleep(0.005)
    waiting_cancel.set()
    t.join(5)
    assert caught and "waited" in str(caught[0]) and queue.stats().waiting == 0
    holder.close()

    running_cancel = threading.Event()
    stream = queue.engine(running_cancel).stream(ask("c", 500))
    next(stream)
    running_cancel.set()
    with pytest.raises(Cancelled):
        list(stream)
    assert engine.finished[-1] == "cancelled"  # the engine itself stopped decoding
    assert queue.stats().running == 0


def test_a_cancel_stops_candidates_decoded_together_whichever_is_decoding() -> None:
    """The cancel is checked per step of every request, not only while the first one streams."""
    engine = FakeEngine(["short", "word " * 400], delay_s=0.005)
    cancel = threading.Event()
    queued = ModelQueue(engine).engine(cancel)
    timer = threading.Timer(0.3, cancel.set)  # the first answer is done by then; the second is decoding
    timer.start()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        queued.decode_together([ask("a", 500), ask("b", 500)])
    timer.join()
    assert time.perf_counter() - started < 1.5  # 400 words at 5 ms each would take 2 s
    assert engine.finished[-1] == "cancelled"


def test_admission_refuses_when_the_line_is_full() -> None:
    queue = ModelQueue(FakeEngine(["x " * 100], delay_s=0.01), max_waiting=1)
    queue.admit()  # nothing running: fine
    holder = queue.engine().stream(ask("a"))
    next(holder)
    queue.admit()  # one running, nobody waiting: fine
    t = threading.Thread(target=lambda: collect(queue.engine().stream(ask("b")), "m"))
    t.start()
    while queue.stats().waiting == 0:
        time.sleep(0.005)
    with pytest.raises(QueueFull, match=r"1 request\(s\) already waiting"):
        queue.admit()
    list(holder)
    t.join(10)
    queue.admit()
