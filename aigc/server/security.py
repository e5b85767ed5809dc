"""Who may use the server: loopback by default, API keys required anywhere else, keys compared in constant time."""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from aigc.errors import UsageError

MIN_KEY_CHARS = 16


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_bind(host: str, keys: list[str]) -> None:
    """Refuse to listen beyond this machine without API keys."""
    if not is_loopback(host) and not keys:
        raise UsageError(
            f"refusing to serve on {host} without API keys: anyone who can reach it could use the model and run "
            "code in its sandbox. Pass --api-key-file FILE (one key per line), or serve on 127.0.0.1."
        )


def read_keys(path: Path) -> list[str]:
    """One key per line; blank lines and lines starting with # are skipped. Short keys are refused."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read the API key file {path}: {exc.strerror or exc}") from exc
    keys = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not keys:
        raise UsageError(f"the API key file {path} holds no keys (one key per line)")
    short = [i for i, k in enumerate(keys, 1) if len(k) < MIN_KEY_CHARS]
    if short:
        raise UsageError(
            f"{path}: key {short[0]} is shorter than {MIN_KEY_CHARS} characters; make keys long and random, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return keys


def key_matches(given: str, keys: list[str]) -> bool:
    """Compare against every key, each in constant time, so timing reveals neither which key nor how much matched."""
    given_bytes = given.encode("utf-8")
    found = False
    for key in keys:
        found |= hmac.compare_digest(given_bytes, key.encode("utf-8"))
    return found


def bearer(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a client sent: `Authorization: Bearer KEY` (OpenAI clients) or `X-API-Key: KEY`."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return x_api_key.strip() if x_api_key else None
