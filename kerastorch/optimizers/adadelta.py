"""Adadelta, Keras' update rule (with a learning rate, default 0.001)."""

import torch

from kerastorch.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """Adadelta, Keras' update rule.

    `acc_g = rho * acc_g + (1 - rho) * g**2`;
    `delta = -sqrt(acc_d + epsilon) * g / sqrt(acc_g + epsilon)`;
    `acc_d = rho * acc_d + (1 - rho) * delta**2`; `w = w + lr * delta`.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001` (torch: 1.0).
        rho: Float, the decay rate. Defaults to `0.95` (torch: 0.9).
        epsilon: Float. Defaults to `1e-7` (torch: 1e-6).
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Adadelta(learning_rate=1.0)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([1.0])
    >>> opt.step()
    >>> round(w.item(), 6)  # 1 - sqrt(1e-7) / sqrt(0.05 + 1e-7)
    0.998586
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7,
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
        self.epsilon = epsilon

    def _build_slots(self, params):
        self._accumulated_grads, self._accumulated_delta_vars = self._add_slots(
            params, ["accumulated_grad", "accumulated_delta_var"]
        )

    def _update(self, grads, params, indices, learning_rate, step):
        rho = self.rho
        acc_grads = [self._accumulated_grads[i] for i in indices]
        acc_deltas = [self._accumulated_delta_vars[i] for i in indices]
        torch._foreach_mul_(acc_grads, rho)
        torch._foreach_add_(acc_grads, torch._foreach_mul(grads, grads), alpha=1 - rho)

        def rms(x):
            out = torch._foreach_add(x, self.epsilon)
            torch._foreach_sqrt_(out)
            return out

        deltas = torch._foreach_mul(rms(acc_deltas), grads)
        torch._foreach_div_(deltas, rms(acc_grads))
        torch._foreach_mul_(deltas, -1)
        torch._foreach_mul_(acc_deltas, rho)
        torch._foreach_add_(acc_deltas, torch._foreach_mul(deltas, deltas), alpha=1 - rho)
        torch._foreach_add_(params, deltas, alpha=learning_rate)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
