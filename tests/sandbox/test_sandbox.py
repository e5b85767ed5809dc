"""The sandbox under bubblewrap: each test is an escape or an exhaustion that must not work."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aigc.sandbox import Limits, Sandbox

FAST = Limits(timeout_s=10, memory_mb=256)


@pytest.fixture(scope="module")
def box() -> Sandbox:
    sandbox = Sandbox(FAST, backend="bwrap")  # fails loudly if bubblewrap is missing: make installs it
    assert sandbox.backend == "bwrap"
    return sandbox


def running(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


def test_runs_code_in_a_private_work_dir_with_files_and_stdin(box: Sandbox) -> None:
    code = "import os, sys; print(os.getcwd(), open('data.txt').read(), sys.stdin.read()); sys.exit(3)"
    r = box.run(["python3", "main.py"], {"main.py": code, "data.txt": "hello"}, stdin="from stdin")
    assert r.status == "failed" and r.exit_code == 3
    assert r.stdout == "/aigc-work hello from stdin\n"
    assert r.duration_s > 0 and r.peak_memory_mb is not None and r.peak_memory_mb > 0
    ok = box.run(["python3", "-c", "print(1 + 1)"])
    assert ok.status == "ok" and ok.stdout == "2\n"


def test_no_connection_to_a_listener_on_the_host_loopback(box: Sandbox) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('CONNECTED')"
        r = box.run(["python3", "-c", code])
        assert r.status == "failed"
        assert "CONNECTED" not in r.stdout
        assert "Connection refused" in r.stderr or "unreachable" in r.stderr
        with pytest.raises(socket.timeout):
            server.accept()  # nothing ever arrived


def test_writing_outside_the_work_dir_fails(box: Sandbox, tmp_path: Path) -> None:
    # Host places outside the work dir. (Not the checkout itself: a clone under /tmp would land in the
    # sandbox's private /tmp, which is writable scratch space and checked separately below.)
    target = Path.home() / ".aigc-escape-test.txt"
    code = textwrap.dedent(f"""
        import os
        for path in [{str(target)!r}, "/usr/escaped.txt", "/etc/escaped.txt", "/escaped.txt"]:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "w").write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, exc.errno)
    """)
    r = box.run(["python3", "-c", code])
    assert "WROTE" not in r.stdout, r.stdout
    assert r.stdout.count("refused") == 4
    assert not target.exists() and not Path("/usr/escaped.txt").exists()
    checkout = Path(__file__).resolve().parent / "escaped.txt"
    box.run(["python3", "-c", f"import os; os.makedirs({str(checkout.parent)!r}, exist_ok=True); "
                              f"open({str(checkout)!r}, 'w').write('x')"])  # fmt: skip
    assert not checkout.exists()  # whatever it wrote stayed inside the sandbox
    # /tmp inside is a private scratch tmpfs: writable, gone with the run, never the host's /tmp
    host_tmp = tmp_path / "scratch.txt"
    r = box.run(["python3", "-c", f"open({str(host_tmp)!r}.replace('{tmp_path}', '/tmp'), 'w').write('x')"])
    assert r.status == "ok"
    r = box.run(
        ["python3", "-c", f"import os; os.makedirs({str(tmp_path)!r}); open({str(host_tmp)!r}, 'w').write('x')"]
    )
    assert not host_tmp.exists()


def test_the_users_home_is_not_readable(box: Sandbox) -> None:
    secret = Path.home() / ".aigc-sandbox-test-secret"
    secret.write_text("TOP-SECRET")
    try:
        r = box.run(["python3", "-c", f"print(open({str(secret)!r}).read())"])
        assert "TOP-SECRET" not in r.stdout
        assert r.status == "failed"
        listing = box.run(["ls", "-a", str(Path.home())])
        assert ".aigc-sandbox-test-secret" not in listing.stdout
    finally:
        secret.unlink()


def test_a_fork_bomb_is_contained(box: Sandbox) -> None:
    before = len(running(""))
    r = box.run(["bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 30"], limits=Limits(timeout_s=4, processes=50))
    assert r.status == "timeout"  # the timer still fires with the process table full (not the script's sleep 30)
    time.sleep(0.5)
    assert len(running("")) < before + 10  # nothing of it is left running


def test_a_memory_hog_is_stopped(box: Sandbox) -> None:
    r = box.run(["python3", "-c", "blocks = [bytearray(50 * 2**20) for _ in range(100)]"], limits=Limits(memory_mb=200))
    assert r.status == "memory"
    assert r.peak_memory_mb is not None and r.peak_memory_mb <= 201


def test_an_infinite_loop_is_killed_at_the_timeout_with_its_children(box: Sandbox) -> None:
    marker = "777.4321"
    code = f"sleep {marker} & sleep {marker} & while :; do :; done"
    r = box.run(["bash", "-c", code], limits=Limits(timeout_s=2))
    assert r.status == "timeout" and r.exit_code is None  # killed by the timer, with its children
    assert r.duration_s >= 1.9  # not before the limit (a busy machine can only make it later)
    time.sleep(0.3)
    assert running(f"sleep {marker}") == []


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_100_mb_of_output_is_cut_off_without_the_parent_growing(box: Sandbox) -> None:
    code = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 2**20)\n"
    before = _rss_mb()
    r = box.run(["python3", "-c", code], limits=Limits(timeout_s=30, output_bytes=1_000_000))
    assert r.status == "ok"
    assert r.output_truncated and len(r.stdout) == 1_000_000
    assert _rss_mb() - before < 30


def test_the_child_dies_when_the_parent_is_killed(tmp_path: Path) -> None:
    marker = "778.1234"
    script = tmp_path / "parent.py"
    script.write_text(
        "from aigc.sandbox import Sandbox, Limits\n"
        f"Sandbox(backend='bwrap').run(['sleep', '{marker}'], limits=Limits(timeout_s=600))\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], env={**os.environ})
    deadline = time.monotonic() + 20
    while not running(f"sleep {marker}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(f"sleep {marker}"), "the sandboxed child never started"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while running(f"sleep {marker}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(f"sleep {marker}") == []


def test_without_bubblewrap_a_loud_warning_and_limits_still_hold(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        fallback = Sandbox(FAST, backend="rlimit")
    assert fallback.backend == "rlimit"
    assert "NOT isolated" in caplog.text
    r = fallback.run(["python3", "-c", "while True: pass"], limits=Limits(timeout_s=1.5))
    assert r.status == "timeout"
    hog = fallback.run(["python3", "-c", "x = bytearray(2 * 2**30)"], limits=Limits(memory_mb=200))
    assert hog.status == "memory"


def test_a_bubblewrap_that_cannot_sandbox_here_is_reported() -> None:
    from aigc.sandbox.runner import _probe

    assert _probe("/bin/false") is not None  # stands in for bwrap refused user namespaces
    bwrap_path = shutil.which("bwrap")
    assert bwrap_path is not None and _probe(bwrap_path) is None


def test_without_bubblewrap_generated_code_is_refused_unless_the_user_opts_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aigc.errors import SandboxUnavailable
    from aigc.sandbox import bwrap, runner

    monkeypatch.setattr(bwrap, "find_bwrap", lambda: None)
    with pytest.raises(SandboxUnavailable, match=r"bubblewrap is not installed.*--unsafe-no-sandbox"):
        Sandbox(FAST)
    assert runner.describe()["backend"] == "none"
    monkeypatch.setattr(runner, "_policy", {"unconfined_allowed": True})
    assert Sandbox(FAST).backend == "rlimit" and runner.describe()["backend"] == "rlimit"
    # From the command line: `aigc gen` says what is missing and how to fix it, and runs nothing.
    from tests.conftest import run_aigc

    fake_path = tmp_path / "bin"
    fake_path.mkdir()
    for tool in ("python3", "unshare", "ps"):  # a PATH with no bwrap on it
        if found := shutil.which(tool):
            (fake_path / tool).symlink_to(found)
    env = {"PATH": str(fake_path), "AIGC_ENGINE": "fake"}
    r = run_aigc("gen", "写一个函数 add(a, b)，返回 a + b", env=env)
    assert r.returncode == 3 and "bubblewrap is not installed" in r.stderr and "--unsafe-no-sandbox" in r.stderr
    shown = run_aigc("config", "show", env=env)
    assert shown.returncode == 0 and "sandbox for generated code: none" in " ".join(shown.stdout.split())


def test_the_sandbox_sees_little_of_etc_and_cannot_nest_namespaces(box: Sandbox) -> None:
    code = textwrap.dedent("""
        import ctypes, os
        print(sorted(os.listdir("/etc")))
        print(ctypes.CDLL(None, use_errno=True).unshare(0x10000000))  # CLONE_NEWUSER
    """)
    r = box.run(["python3", "-c", code])
    listing, unshared = r.stdout.splitlines()
    assert "passwd" in listing and "shadow" not in listing and "ssh" not in listing and "sudoers" not in listing
    assert unshared == "-1"  # no user namespace of its own (bwrap --disable-userns)


def test_the_private_tmp_is_bounded(box: Sandbox) -> None:
    r = box.run(["python3", "-c", "open('/tmp/big', 'wb').write(b'x' * 64 * 2**20)"],
                limits=Limits(timeout_s=20, memory_mb=512, tmp_mb=16, file_size_mb=128))  # fmt: skip
    assert r.status == "failed" and "No space left on device" in r.stderr


def test_without_cgroups_a_fork_bomb_is_still_bounded(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from aigc.sandbox import cgroups

    monkeypatch.setattr(cgroups, "create", lambda memory_mb, processes: None)
    code = textwrap.dedent("""
        import os, time
        for _ in range(200):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
        time.sleep(30)
    """)
    r = box.run(["python3", "-c", code], limits=Limits(timeout_s=30, processes=32, memory_mb=256))
    assert r.status == "killed" and "more than 32 processes" in r.stderr, r  # the watchdog, not the timeout


def test_a_run_hands_back_only_plain_files_it_names(box: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    code = textwrap.dedent(f"""
        import os
        open("report.xml", "w").write("x" * 5000)
        os.symlink({str(secret)!r}, "linked.xml")
        os.mkfifo("fifo.xml")
        open("other.txt", "w").write("not asked for")
    """)
    wanted = ("report.xml", "linked.xml", "fifo.xml")
    result = box.run(["python3", "main.py"], {"main.py": code}, limits=Limits(output_bytes=1000), outputs=wanted)
    assert result.ok, result.stderr
    assert result.files == {"report.xml": b"x" * 1000}  # capped; the link and the FIFO are not read
    with pytest.raises(ValueError, match="plain file name"):
        box.run(["python3", "-c", "pass"], outputs=("../escape",))
