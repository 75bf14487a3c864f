"""Where kerastorch's messages go: stdout, or Python's `logging` when interactive logging is off.

`kerastorch.config.disable_interactive_logging()` sends progress bars and messages to the
`"kerastorch"` logger at level INFO (Keras sends them to `absl.logging`); configure it as any
Python logger, e.g. `logging.basicConfig(level=logging.INFO)`.

Example:
>>> print_msg("Epoch 1/3")
Epoch 1/3
"""

import logging
import sys

from kerastorch import config

logger = logging.getLogger("kerastorch")


def print_msg(message, line_break=True):
    """Writes `message` to stdout, or logs it (INFO, logger `"kerastorch"`) when interactive logging is off.

    Args:
        message: The text.
        line_break: Whether to end the line (stdout only). Defaults to `True`.
    """
    message = str(message)
    if config.is_interactive_logging_enabled():
        sys.stdout.write(f"{message}\n" if line_break else message)
        sys.stdout.flush()
    else:
        logger.info(message.strip("\r\n"))
