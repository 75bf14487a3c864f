"""`Progbar`: Keras' text progress bar."""

import math
import os
import sys
import time

from kerastorch import config
from kerastorch.utils import io_utils


def _dynamic_display():
    return ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules or os.environ.get("KERASTORCH_PROGBAR") == "dynamic")


class Progbar:
    """Displays a progress bar like Keras': `5/5 ━━━━━━━━━━━━━━━━━━━━ 0s 42ms/step - loss: 1.3629`.

    Values are shown as given (the trainer passes running means), as Keras'
    `ProgbarLogger` does.

    With `kerastorch.config.disable_interactive_logging()`, each redraw becomes one plain
    INFO record of the `"kerastorch"` logger instead of a line on stdout, as Keras sends
    them to `absl.logging`.

    Args:
        target: Total number of steps, or `None` if unknown.
        width: Width of the bar in characters. Defaults to `20`.
        verbose: `1` for a live bar, `2` for one line at the end, `0` for silence.
        interval: Minimum seconds between two redraws. Defaults to `0.05`.
        unit_name: Name of a step in the rate. Defaults to `"step"`.

    Example:
    >>> bar = Progbar(target=2, verbose=0)
    >>> bar.update(1, [("loss", 0.5)])
    >>> bar.update(2, [("loss", 0.25)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._dynamic = _dynamic_display()
        self._values = {}
        self._start = time.time()
        self._last_update = 0.0
        self._prev_width = 0

    def wants_update(self, current):
        """Whether an update at step `current` would be drawn (so the caller can skip reading values)."""
        if self.verbose != 1:
            return self.target is not None and current >= self.target
        finalize = self.target is not None and current >= self.target
        return finalize or time.time() - self._last_update >= self.interval

    def _time_per_step(self, current, now):
        return (now - self._start) / current if current else 0.0

    @staticmethod
    def _format_rate(seconds, unit_name):
        if seconds >= 1 or seconds == 0:
            return f" {seconds:.0f}s/{unit_name}"
        if seconds >= 1e-3:
            return f" {seconds * 1e3:.0f}ms/{unit_name}"
        return f" {seconds * 1e6:.0f}us/{unit_name}"

    @staticmethod
    def _format_values(values):
        out = ""
        for k, v in values.items():
            if isinstance(v, (int, float)):
                out += f" - {k}: {v:.4f}" if abs(v) > 1e-3 else f" - {k}: {v:.4e}"
            else:
                out += f" - {k}: {v}"
        return out

    def update(self, current, values=None, finalize=None):
        """Updates the bar to step `current` with `values`, a list of `(name, value)` pairs.

        Args:
            current: Index of the current step (1-based).
            values: List of `(name, value)` pairs, or a dict.
            finalize: Whether this is the last update. Defaults to `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in (values.items() if isinstance(values, dict) else (values or [])):
            self._values[k] = v
        now = time.time()
        per_step = self._time_per_step(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            if self.target:
                digits = int(math.log10(self.target)) + 1
                count = f"{current:{digits}d}/{self.target}"
                done = int(self.width * min(current / self.target, 1.0))
                bar = f"{count} {'━' * done}{'━' * (self.width - done)}"
                shown = bar
                if self._dynamic:
                    shown = (f"\x1b[1m{count}\x1b[0m \33[32m{'━' * done}\x1b[0m"
                             f"\33[37m{'━' * (self.width - done)}\x1b[0m")
            else:
                bar = shown = f"{current:7d}/Unknown"
            if self.target and not finalize:
                eta = per_step * (self.target - current)
                if eta > 3600:
                    timing = f" {int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
                elif eta > 60:
                    timing = f" {int(eta // 60)}:{int(eta % 60):02d}"
                else:
                    timing = f" {int(eta)}s"
            else:
                timing = f" {now - self._start:.0f}s"
            info = timing + self._format_rate(per_step, self.unit_name) + self._format_values(self._values)
            line = bar + info
            if not config.is_interactive_logging_enabled():
                # As Keras sends each redraw to absl.logging: one plain log record per redraw.
                io_utils.logger.info(line)
            elif self._dynamic:
                pad = " " * max(self._prev_width - len(line), 0)
                sys.stdout.write("\r" + shown + info + pad + ("\n" if finalize else ""))
                self._prev_width = len(line)
                sys.stdout.flush()
            elif finalize:
                # Not a terminal (a log file, CI): one line per epoch instead of hundreds.
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
        elif self.verbose == 2 and finalize and self.target:
            digits = int(math.log10(self.target)) + 1
            line = (f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
                    f"{self._format_rate(per_step, self.unit_name)}" + self._format_values(self._values))
            io_utils.print_msg(line)
        self._last_update = now
