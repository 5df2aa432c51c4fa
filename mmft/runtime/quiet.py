"""Leave out known foreign log lines that say nothing about a run."""
import logging

#: mmengine's CheckpointHook and save_checkpoint build a FileClient for
#: backward compatibility even when none is configured; both lines come from
#: that object, at the start of training and at every save.
FILE_CLIENT_NOTICES = ('"FileClient" will be deprecated',
                       '"HardDiskBackend" is the alias of "LocalBackend"')


class WithoutMessages(logging.Filter):
    """A logging filter that drops the records whose message starts with one
    of ``prefixes`` and passes every other.

    Args:
        prefixes (tuple[str]): Beginnings of the messages to drop.
    """

    def __init__(self, prefixes: tuple) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)
