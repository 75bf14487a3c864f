"""Lion (EvoLved Sign Momentum), Keras' update rule."""

import torch

from kerastorch.optimizers.base import Optimizer


class Lion(Optimizer):
    """Lion, Keras' update rule (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms").

    `w = w - lr * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`. Lion's steps have unit size per element, so it
    usually wants a 3-10x smaller learning rate than Adam.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        beta_1: Float in `(0, 1]`, the interpolation factor of the update. Defaults to `0.9`.
        beta_2: Float, the decay rate of the momentum. Defaults to `0.99`.
        **kwargs: The common optimizer arguments, see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 1.0]))
    >>> opt = Lion(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([3.0, -0.01])
    >>> opt.step()
    >>> [round(x, 4) for x in w.tolist()]
    [0.9, 1.1]
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99,
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
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Lion: argument `beta_1` must be in the (0, 1] range; otherwise the optimizer "
                f"degenerates to SignSGD. Got beta_1={beta_1!r}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _build_slots(self, params):
        self._momentums = self._add_slots(params, "momentum")

    def _update(self, grads, params, indices, learning_rate, step):
        m = [self._momentums[i] for i in indices]
        directions = torch._foreach_mul(m, self.beta_1)
        torch._foreach_add_(directions, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(directions)
        torch._foreach_mul_(directions, learning_rate)
        torch._foreach_sub_(params, directions)
        torch._foreach_mul_(m, self.beta_2)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
