"""Name the keys of a state dict in messages, briefly."""
from typing import Iterable


def show_keys(keys: Iterable[str], limit: int = 12) -> str:
    """Name some keys: the first ``limit`` and how many more there are.

    Args:
        keys (Iterable[str]): The keys.
        limit (int): How many to name. Defaults to 12.

    Returns:
        str: E.g. ``'a', 'b' (and 3 more)``.
    """
    keys = list(keys)
    text = ', '.join(repr(k) for k in keys[:limit])
    if len(keys) > limit:
        text += f' (and {len(keys) - limit} more)'
    return text or '(none)'
