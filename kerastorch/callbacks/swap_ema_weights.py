"""`SwapEMAWeights`: evaluate (and optionally checkpoint) with the optimizer's moving averages."""

import torch

from kerastorch.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's EMA weights around evaluation.

    With an optimizer created with `use_ema=True`, the weights are exchanged in place (no
    copy is kept) with their exponential moving averages ("Polyak averaging") when
    evaluation begins and swapped back when it ends, so validation metrics are computed
    with the averaged weights. A `LossScaleOptimizer`'s inner optimizer and every
    `MultiOptimizer` sub-optimizer with `use_ema=True` are swapped.

    As in Keras: prediction swaps the EMA weights in at its start but `on_predict_end` does
    not swap them back (Keras' check there is inverted); the next evaluation's end swaps
    them back. Modifying the weights or the averages in other callbacks is undefined.

    Args:
        swap_on_epoch: Whether to also swap at `on_epoch_end` (EMA weights in the model for
            the callbacks after this one, such as `ModelCheckpoint`) and back at
            `on_epoch_begin`. After the last epoch the averages are set to the swapped-in
            values, so that the end of `fit` (which writes the averages into the model)
            leaves the EMA weights in place. Defaults to `False`.

    Raises:
        ValueError: when swapping, if the optimizer (or no MultiOptimizer sub-optimizer) has
            `use_ema=True`, or it is not built yet (it has no averages).

    Example:
    >>> import numpy as np, kerastorch
    >>> from kerastorch import callbacks, layers, optimizers
    >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    >>> model.compile(optimizer=optimizers.SGD(use_ema=True), loss="mse")
    >>> x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
    >>> history = model.fit(x, y, validation_data=(x, y), verbose=0,
    ...                     callbacks=[callbacks.SwapEMAWeights()])
    >>> sorted(history.history)
    ['loss', 'val_loss']
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)   # a LossScaleOptimizer
        subs = getattr(optimizer, "optimizers", None)                  # a MultiOptimizer
        if subs is not None:
            chosen = [o for o in subs if getattr(o, "use_ema", False)]
            if not chosen:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`."
                )
        else:
            if not getattr(optimizer, "use_ema", False):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                    f"Received: use_ema={getattr(optimizer, 'use_ema', None)} (optimizer "
                    f"{type(optimizer).__name__}). Create it with e.g. optimizers.Adam(use_ema=True)."
                )
            chosen = [optimizer]
        for o in chosen:
            if not o.built:
                raise ValueError(
                    f"SwapEMAWeights: optimizer '{o.name}' is not built yet, so it has no moving "
                    "averages to swap in. Train the model (fit) before evaluating with this callback."
                )
        return chosen

    @torch.no_grad()
    def _swap_variables(self):
        for optimizer in self._ema_optimizers():
            optimizer._maybe_move_state()
            params, averages = optimizer._params, optimizer._averages
            if params:
                saved = [p.detach().clone() for p in params]
                torch._foreach_copy_(params, averages)
                torch._foreach_copy_(averages, saved)

    @torch.no_grad()
    def _finalize_ema_values(self):
        for optimizer in self._ema_optimizers():
            if optimizer._params:
                torch._foreach_copy_(optimizer._averages, optimizer._params)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            # fit's end writes the averages into the model: make them the EMA weights the
            # last swap put there.
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        # Keras' condition, kept: it is never true after on_predict_begin, so prediction leaves
        # the EMA weights in the model.
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
