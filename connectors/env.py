"""Reading settings from the environment: the one set of parsers every setting uses.

Each parser takes the environment mapping, the variable's name and its default,
and raises `ConfigurationError` naming the variable and what it must be, never
its value (a mistyped variable can hold a secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

from connectors.errors import ConfigurationError

Env = Mapping[str, str]


def text(env: Env, name: str, default: str = "") -> str:
    """The variable's value without surrounding blanks, or `default` when unset or blank."""
    return env.get(name, "").strip() or default


def whole_number(env: Env, name: str, default: int, *, low: int = 0, high: int = 10**12) -> int:
    """A whole number from `low` to `high`."""
    raw = text(env, name)
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigurationError(f"{name} must be a whole number from {low:,} to {high:,}")
    return int(raw)


def number(env: Env, name: str, default: float, *, low: float = 0.0, high: float = 1e12) -> float:
    """A decimal number from `low` to `high`."""
    raw = text(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails every comparison
        raise ConfigurationError(f"{name} must be a number from {low:g} to {high:g}")
    return value


def choice(env: Env, name: str, default: str, options: tuple[str, ...]) -> str:
    """One of `options` (case-insensitive)."""
    value = text(env, name, default).lower()
    if value not in options:
        raise ConfigurationError(f"{name} must be one of {', '.join(options)}")
    return value


def url(env: Env, name: str, default: str, *, example: str) -> str:
    """An http(s) URL without a trailing slash (and without blanks or control characters)."""
    value = text(env, name, default)
    parsed = urlparse(value)
    garbled = any(c.isspace() or not c.isprintable() for c in value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or garbled:
        raise ConfigurationError(f"{name} must look like {example}")
    return value.rstrip("/")
