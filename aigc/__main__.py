from __future__ import annotations

from aigc.cli.main import run

run()
