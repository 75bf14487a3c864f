"""Adagrad, with Keras' epsilon inside the square root and its 0.1 initial accumulator."""

import torch

from kerastorch.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad, Keras' update rule.

    `acc = acc + g**2`; `w = w - lr * g / sqrt(acc + epsilon)`, with `acc` starting at
    `initial_accumulator_value` (torch starts at 0 and adds eps outside the root).

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001` (torch: 0.01).
        initial_accumulator_value: Float, starting value of the accumulators.
            Defaults to `0.1`.
        epsilon: Float. Defaults to `1e-7`.
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Adagrad(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([1.0])
    >>> opt.step()
    >>> round(w.item(), 5)  # 1 - 0.1 * 1 / sqrt(0.1 + 1)
    0.90465
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _build_slots(self, params):
        self._accumulators_sq = self._add_slots(
            params, "accumulator", initial_value=self.initial_accumulator_value
        )

    def _update(self, grads, params, indices, learning_rate, step):
        accumulators = [self._accumulators_sq[i] for i in indices]
        torch._foreach_add_(accumulators, torch._foreach_mul(grads, grads))
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(increments, denominators)
        torch._foreach_sub_(params, increments)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
