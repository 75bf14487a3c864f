"""Adamax, Keras' update rule."""

import torch

from kerastorch.optimizers.base import Optimizer, _scalar_dtype


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), Keras' update rule.

    `m = beta_1 * m + (1 - beta_1) * g`; `u = max(beta_2 * u, |g|)`;
    `w = w - lr * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001` (torch: 0.002).
        beta_1: Float. Defaults to `0.9`.
        beta_2: Float. Defaults to `0.999`.
        epsilon: Float. Defaults to `1e-7`.
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Adamax(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()
    >>> round(w.item(), 5)
    0.9
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _build_slots(self, params):
        self._m, self._u = self._add_slots(params, ["momentum", "norm"])

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        bias_correction = f(1) - f(self.beta_1) ** f(step + 1)
        m = [self._m[i] for i in indices]
        u = [self._u[i] for i in indices]
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))

        steps = torch._foreach_mul(m, learning_rate)
        denominators = torch._foreach_add(u, self.epsilon)
        torch._foreach_mul_(denominators, float(bias_correction))
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(params, steps)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
