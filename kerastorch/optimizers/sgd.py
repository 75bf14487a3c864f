"""Stochastic gradient descent, with Keras' momentum formulation."""

import torch

from kerastorch.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum), Keras' update rule.

    Without momentum: `w = w - learning_rate * g`. With momentum, Keras folds the learning
    rate into the velocity (unlike `torch.optim.SGD`, whose buffer holds raw gradients):
    `velocity = momentum * velocity - learning_rate * g`, then `w = w + velocity`, or with
    Nesterov `w = w + momentum * velocity - learning_rate * g`.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.01`.
        momentum: Float in `[0, 1]`, accelerates descent and dampens oscillations.
            Defaults to `0.0`.
        nesterov: Boolean, whether to apply Nesterov momentum. Defaults to `False`.
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.build([w])
    >>> for _ in range(2):
    ...     w.grad = torch.tensor([1.0])
    ...     opt.step()
    >>> round(w.item(), 4)  # 1 - 0.1 - (0.9 * 0.1 + 0.1)
    0.71
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float between [0, 1], got momentum={momentum!r}.")
        self.momentum = momentum
        self.nesterov = nesterov

    def _build_slots(self, params):
        self._momentums = self._add_slots(params, "momentum") if self.momentum != 0 else []

    def _update(self, grads, params, indices, learning_rate, step):
        lr = learning_rate
        if self.momentum == 0:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        bufs = [self._momentums[i] for i in indices]
        torch._foreach_mul_(bufs, self.momentum)
        torch._foreach_add_(bufs, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, bufs, alpha=self.momentum)
        else:
            torch._foreach_add_(params, bufs)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
