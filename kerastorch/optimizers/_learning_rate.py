"""`Optimizer`'s learning rate and step count (a mixin of `kerastorch.optimizers.base.Optimizer`).

Both live on the host: 0-d CPU tensors, which are also the optimizer's saved `iteration` and
`learning_rate` variables, read back as Python numbers only after a write to them. The mixin has
no `__init__`: `Optimizer.__init__` creates `_iterations`, `_lr_dtype` and `_learning_rate`.
"""

import numpy as np
import torch

from kerastorch import variables as _variables
from kerastorch.optimizers import schedules as _schedules


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class _LearningRateMixin:
    """The learning rate (a value, a schedule or a callable) and the update count of `Optimizer`."""

    # ------------------------------------------------------------------ learning rate

    def _make_learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
        ):
            return learning_rate
        return torch.tensor(self._check_lr_value(learning_rate), dtype=self._lr_dtype)

    def _check_lr_value(self, value):
        if isinstance(value, _variables.Variable) and not value.ndim:
            return float(value)
        if isinstance(value, torch.Tensor) and value.numel() == 1 and value.is_floating_point():
            return float(value)
        if not _is_number(value):
            raise TypeError(
                f"{type(self).__name__}: `learning_rate` must be a float, a "
                "kerastorch.optimizers.schedules.LearningRateSchedule or a callable returning "
                f"the learning rate, got learning_rate={value!r}."
            )
        return float(value)

    def _current_learning_rate(self):
        """The learning rate of the next update, rounded to float32 like Keras' variable."""
        lr = self._learning_rate
        if isinstance(lr, torch.Tensor):
            # Read again only after a write to it (its version counter: fill_, assign, a load).
            kept = self.__dict__.get("_lr_read")
            if kept is None or kept[0] is not lr or kept[1] != lr._version:
                kept = self.__dict__["_lr_read"] = (lr, lr._version, float(lr))
            return kept[2]
        if isinstance(lr, _schedules.LearningRateSchedule):
            # Keras evaluates schedules at the raw call count (`_iterations`), not at
            # `iterations`, which gradient accumulation divides.
            value = lr(self._calls())
        else:
            value = lr()
        if self._lr_dtype == torch.float32:
            return float(np.float32(float(value)))
        return float(torch.tensor(float(value), dtype=self._lr_dtype))

    @property
    def learning_rate(self):
        """The learning rate: a `kerastorch.Variable` of shape `()` (float32 by default), as in Keras.

        `optimizer.learning_rate.assign(0.01)` (or `optimizer.learning_rate = 0.01`) changes it
        for the next update; `float(...)` or `.numpy()` reads it. With a schedule or a callable,
        it is the learning rate of the next update, a float32 tensor; assign a float or another
        schedule to the attribute to change it.
        """
        lr = self._learning_rate
        if isinstance(lr, torch.Tensor):
            variable = self.__dict__.get("_lr_variable")
            if variable is None:
                variable = _variables.Variable._wrap(self, "_learning_rate", "learning_rate",
                                                     f"{self.name}/learning_rate")
                self._lr_variable = variable
            return variable
        return torch.tensor(self._current_learning_rate(), dtype=self._lr_dtype)

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
        ):
            self._learning_rate = learning_rate
            return
        value = self._check_lr_value(learning_rate)
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__} '{self.name}' was created with a LearningRateSchedule "
                f"({type(self._learning_rate).__name__}) as its learning_rate, so the learning rate "
                f"cannot be set to the number {value!r}. Create the optimizer with a float "
                "learning_rate to make it settable (e.g. for ReduceLROnPlateau), or assign a new "
                "schedule."
            )
        if isinstance(self._learning_rate, torch.Tensor):
            self._learning_rate.fill_(value)
        else:
            self._learning_rate = torch.tensor(value, dtype=self._lr_dtype)

    @property
    def iterations(self):
        """Number of optimizer updates applied, as a Python int.

        With `gradient_accumulation_steps=n`, this is the number of `step()` calls divided
        by `n` (rounded down), as in Keras.
        """
        calls = self._calls()
        if self.gradient_accumulation_steps:
            return calls // self.gradient_accumulation_steps
        return calls

    def _calls(self):
        """`int(self._iterations)`, read from the tensor only when it changed since the last read
        (its version counter moves with every in-place write: the step's `+= 1`, a load, `assign`)."""
        it = self._iterations
        kept = self.__dict__.get("_calls_read")
        if kept is not None and kept[0] is it and kept[1] == it._version:
            return kept[2]
        calls = int(it)
        self.__dict__["_calls_read"] = (it, it._version, calls)
        return calls

    def _count_call(self, calls):
        """`self._iterations += 1` after a step that read `calls`, keeping the read current."""
        it = self._iterations
        it += 1
        self.__dict__["_calls_read"] = (it, it._version, calls + 1)
