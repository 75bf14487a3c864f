"""Nadam (Adam with Nesterov momentum), Keras' update rule with its momentum schedule."""

import numpy as np
import torch

from kerastorch.optimizers.base import Optimizer, _scalar_dtype


class Nadam(Optimizer):
    """Nadam, Keras' update rule (Dozat 2015, with the 0.96 momentum-decay schedule).

    With `u_t = beta_1 * (1 - 0.5 * 0.96**t)` and `u_prod` the product of all `u_t` so far:
    `m_hat = u_{t+1} * m / (1 - u_prod * u_{t+1}) + (1 - u_t) * g / (1 - u_prod)`,
    `v_hat = v / (1 - beta_2**t)`, `w = w - lr * m_hat / (sqrt(v_hat) + epsilon)`.
    The running product is an optimizer variable, saved after the slots as Keras does.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001` (torch: 0.002).
        beta_1: Float. Defaults to `0.9`.
        beta_2: Float. Defaults to `0.999`.
        epsilon: Float. Defaults to `1e-7`.
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([1.0])
    >>> opt.step()
    >>> round(w.item(), 4)
    0.8937
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
        self._momentums, self._velocities = self._add_slots(params, ["momentum", "velocity"])
        dtype = params[0].dtype if params else torch.float32
        # Host-side like the step counter, so the per-step scalars need no device sync.
        self._u_product = torch.ones((), dtype=dtype)
        self._extra_variables.append(self._u_product)

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        t, t_next = f(step + 1), f(step + 2)
        decay, beta_1, beta_2 = f(0.96), f(self.beta_1), f(self.beta_2)
        u_t = beta_1 * (f(1) - f(0.5) * decay**t)
        u_t_1 = beta_1 * (f(1) - f(0.5) * decay**t_next)
        u_product_t = f(float(self._u_product)) * u_t
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = beta_2**t
        self._u_product.fill_(float(u_product_t))

        m = [self._momentums[i] for i in indices]
        v = [self._velocities[i] for i in indices]
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_add_(v, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)

        m_hat = torch._foreach_mul(m, float(u_t_1))
        torch._foreach_div_(m_hat, float(f(1) - u_product_t_1))
        g_part = torch._foreach_mul(grads, float(f(1) - u_t))
        torch._foreach_div_(g_part, float(f(1) - u_product_t))
        torch._foreach_add_(m_hat, g_part)

        denominators = torch._foreach_div(v, float(f(1) - beta_2_power))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_mul_(m_hat, learning_rate)
        torch._foreach_div_(m_hat, denominators)
        torch._foreach_sub_(params, m_hat)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
