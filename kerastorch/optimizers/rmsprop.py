"""RMSprop, with Keras' epsilon inside the square root."""

import torch

from kerastorch.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """RMSprop, Keras' update rule.

    `v = rho * v + (1 - rho) * g**2`; `increment = lr * g / sqrt(v + epsilon)` (epsilon inside
    the root, unlike torch); if `centered`, `v` is replaced by `v - mean_g**2` where
    `mean_g = rho * mean_g + (1 - rho) * g`; with `momentum`, `buf = momentum * buf + increment`
    and `w -= buf`, else `w -= increment`.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001` (torch: 0.01).
        rho: Float, discounting factor of the gradient history. Defaults to `0.9` (torch: 0.99).
        momentum: Float. Defaults to `0.0`.
        epsilon: Float. Defaults to `1e-7`.
        centered: Boolean, whether to normalise by the estimated gradient variance.
            Defaults to `False`.
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = RMSprop(learning_rate=0.01)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()
    >>> round(w.item(), 5)  # 1 - 0.01 * 2 / sqrt(0.1 * 4)
    0.96838
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
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
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _build_slots(self, params):
        self._velocities = self._add_slots(params, "velocity")
        self._momentums = self._add_slots(params, "momentum") if self.momentum > 0 else []
        self._average_gradients = self._add_slots(params, "average_gradient") if self.centered else []

    def _update(self, grads, params, indices, learning_rate, step):
        rho = self.rho
        velocities = [self._velocities[i] for i in indices]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - rho)

        # As Keras' torch backend: (v + eps) - mean_g**2, not v - mean_g**2 + eps.
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            average_grads = [self._average_gradients[i] for i in indices]
            torch._foreach_mul_(average_grads, rho)
            torch._foreach_add_(average_grads, grads, alpha=1 - rho)
            torch._foreach_add_(denominators, torch._foreach_mul(average_grads, average_grads), alpha=-1)
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(increments, denominators)

        if self.momentum > 0:
            buffers = [self._momentums[i] for i in indices]
            torch._foreach_mul_(buffers, self.momentum)
            torch._foreach_add_(buffers, increments)
            torch._foreach_sub_(params, buffers)
        else:
            torch._foreach_sub_(params, increments)

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
