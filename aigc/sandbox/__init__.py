"""Where untrusted (generated) code runs: bubblewrap, cgroups or rlimits, a timeout, capped output."""

from __future__ import annotations

from aigc.sandbox.limits import Limits
from aigc.sandbox.runner import Sandbox, SandboxResult

__all__ = ["Limits", "Sandbox", "SandboxResult"]
