"""Nesting depth of decoded JSON, measured without recursion (deep JSON must not raise RecursionError)."""

from __future__ import annotations

__all__ = ["too_deep"]


def too_deep(value: object, limit: int) -> bool:
    """Whether ``value`` (decoded JSON, or any dicts and lists) nests more than ``limit`` levels."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            if level > limit:
                return True
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False
