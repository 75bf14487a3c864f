"""Adam and AdamW, with Keras' epsilon placement (`epsilon` added to `sqrt(v)` without bias
correction, i.e. torch's `eps` scaled by `sqrt(1 - beta_2 ** t)`)."""

import numpy as np
import torch

from kerastorch.optimizers.base import Optimizer, _scalar_dtype


class Adam(Optimizer):
    """Adam, Keras' update rule.

    With `t` the update number (from 1):
    `m = beta_1 * m + (1 - beta_1) * g`, `v = beta_2 * v + (1 - beta_2) * g**2`,
    `w = w - lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`.
    Keras' `epsilon` (1e-7) is the "epsilon hat" of the Adam paper: it is not bias corrected,
    so results differ from `torch.optim.Adam` with the same `eps`.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        beta_1: Float, decay rate of the first-moment estimates. Defaults to `0.9`.
        beta_2: Float, decay rate of the second-moment estimates. Defaults to `0.999`.
        epsilon: Float, small constant for numerical stability. Defaults to `1e-7`.
        amsgrad: Boolean, whether to use the AMSGrad variant (the maximum of past `v`).
            Defaults to `False`.
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([0.5])
    >>> opt.step()
    >>> round(w.item(), 5)  # the first Adam step moves by about lr
    0.9
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
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
        self.amsgrad = amsgrad

    def _build_slots(self, params):
        self._momentums, self._velocities = self._add_slots(params, ["momentum", "velocity"])
        self._velocity_hats = self._add_slots(params, "velocity_hat") if self.amsgrad else []

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        t = f(step + 1)
        # Keras computes this scalar in the variables' float type, on one tensor.
        alpha = f(learning_rate) * np.sqrt(f(1) - f(self.beta_2) ** t) / (f(1) - f(self.beta_1) ** t)

        m = [self._momentums[i] for i in indices]
        v = [self._velocities[i] for i in indices]
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_add_(v, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)
        if self.amsgrad:
            v_hat = [self._velocity_hats[i] for i in indices]
            torch._foreach_maximum_(v_hat, v)
            v = v_hat

        denominators = torch._foreach_sqrt(v)
        torch._foreach_add_(denominators, self.epsilon)
        steps = torch._foreach_mul(m, float(alpha))
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(params, steps)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay, Keras' update rule.

    Before each Adam update, every variable is multiplied by `1 - weight_decay * lr`
    (Loshchilov & Hutter, "Decoupled Weight Decay Regularization").

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        weight_decay: Float, the decay rate. Defaults to `0.004` (torch's AdamW: 0.01).
        beta_1: Float. Defaults to `0.9`.
        beta_2: Float. Defaults to `0.999`.
        epsilon: Float. Defaults to `1e-7`.
        amsgrad: Boolean. Defaults to `False`.
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([0.0])
    >>> opt.step()
    >>> round(w.item(), 5)  # 1 * (1 - 0.5 * 0.1); a zero gradient moves nothing
    0.95
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float, got weight_decay=None.")
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
