"""LAMB (Layer-wise Adaptive Moments), Keras' update rule."""

import torch

from kerastorch.optimizers.base import Optimizer, _scalar_dtype


class Lamb(Optimizer):
    """LAMB, Keras' update rule (You et al. 2019, "Large Batch Optimization for Deep Learning").

    An Adam direction rescaled per variable by the trust ratio `||w|| / ||update||`, which
    keeps large-batch training stable. With `t` the update number (from 1):
    `m = m + (g - m) * (1 - beta_1)`, `v = v + (g**2 - v) * (1 - beta_2)`,
    `update = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)`,
    `w = w - ratio * lr * update`, where `ratio = ||w|| / ||update||` when both norms are
    positive and `1` otherwise (norms over the whole variable).

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        beta_1: Float, decay rate of the first-moment estimates. Defaults to `0.9`.
        beta_2: Float, decay rate of the second-moment estimates. Defaults to `0.999`.
        epsilon: Float, small constant for numerical stability. Defaults to `1e-7`.
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    >>> opt = Lamb(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([1.0, 0.0])
    >>> opt.step()
    >>> [round(x, 4) for x in w.tolist()]  # the step has norm lr * ||w|| = 0.5
    [2.5, 4.0]
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

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        t = f(step + 1)
        bias_1 = float(f(1) - f(self.beta_1) ** t)
        bias_2 = float(f(1) - f(self.beta_2) ** t)

        m = [self._momentums[i] for i in indices]
        v = [self._velocities[i] for i in indices]
        torch._foreach_add_(m, torch._foreach_sub(grads, m), alpha=1 - self.beta_1)
        torch._foreach_add_(v, torch._foreach_sub(torch._foreach_mul(grads, grads), v),
                            alpha=1 - self.beta_2)
        updates = torch._foreach_div(m, bias_1)
        denominators = torch._foreach_div(v, bias_2)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(updates, denominators)

        # The trust ratio of every variable at once, on the device: no host sync.
        w_norms = torch.stack(torch._foreach_norm(params))
        u_norms = torch.stack(torch._foreach_norm(updates))
        ratios = torch.where((w_norms > 0) & (u_norms > 0), w_norms / u_norms,
                             torch.ones_like(w_norms))
        ratios = ratios * float(f(learning_rate))
        torch._foreach_mul_(updates, list(ratios.unbind()))
        torch._foreach_sub_(params, updates)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
