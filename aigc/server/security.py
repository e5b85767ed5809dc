"""Who may use the server: loopback by default, API keys required anywhere else, keys compared in constant time.

A browser is a client too, and the pages it visits are hostile: a site whose name rebinds to 127.0.0.1
would be same-origin with the server, so every request must name a host the server answers for (421
otherwise), and a state-changing request from a browser must come from the server's own origin (or one
the user allowed with --cors-origin).
"""

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


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port and brackets, lower case ('' when malformed)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    name, _, port = value.partition(":")
    return name if (not port or port.isdigit()) else ""


def url_host(name: str) -> str:
    """A host name as it stands in a URL: an IPv6 address in brackets."""
    return f"[{name}]" if ":" in name else name


def allowed_hosts(bound: str, extra: list[str]) -> frozenset[str] | None:
    """The names requests may carry in Host; None when any name goes (bound to every interface, keys required)."""
    if bound.strip("[]") in WILDCARDS and not extra:
        return None
    return frozenset({*LOOPBACK_NAMES, bound.strip("[]").lower(), *(h.strip("[]").lower() for h in extra)})


def host_allowed(host_header: str | None, allowed: frozenset[str] | None) -> bool:
    if allowed is None:
        return True
    return bool(host_header) and host_name(host_header or "") in allowed


def origin_allowed(method: str, origin: str | None, fetch_site: str | None, host_header: str, cors: list[str]) -> bool:
    """May a request with this Origin change state? Clients that are not browsers send no Origin."""
    if method.upper() in SAFE_METHODS:
        return True
    if origin is None:
        return fetch_site in (None, "same-origin", "none")
    own = {f"http://{host_header.lower()}", f"https://{host_header.lower()}"}
    return origin.lower() in own or origin in cors


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
