"""Config keys that moved when the losses and the key encoder got modules of
their own: a clear error naming the new key (no silent renaming: mmft 0.1
was never released, so no checkpoint of the old layout is converted)."""
from typing import Dict


def reject_moved_args(where: str, kwargs: dict, moved: Dict[str, str]) -> None:
    """Raise for a config key that has moved, naming where it went.

    Args:
        where (str): Config key of the component, e.g. 'model.head'.
        kwargs (dict): The arguments the component was given.
        moved (dict[str, str]): Old argument -> its new config key.
    """
    for old, new in moved.items():
        if old in kwargs:
            raise TypeError(f'{where}.{old} has moved to {new} (the losses '
                            'and the key encoder are modules of their own); '
                            'set it there')
