"""Schedule-Free AdamW, Keras' update rule."""

import torch

from kerastorch.optimizers.base import Optimizer, _scalar_dtype


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW, Keras' update rule (Defazio et al. 2024, "The Road Less Scheduled").

    No learning-rate schedule is needed: the optimizer keeps a `momentum` sequence `z` where
    the Adam-normalised gradient steps are taken (initialised to the variable's value when
    the optimizer is built) and leaves in the model an interpolation of `z` with their
    running average. With `t` the update number (from 1), `lr_t = lr * min(t / warmup_steps, 1)`
    (or `lr` without warmup) and `w` the variable:
    `v = v + (g**2 - v) * (1 - beta_2)`, `z = z - lr_t * g / (sqrt(v / (1 - beta_2**t)) + epsilon)`,
    `x = (w - (1 - beta_1) * z) / beta_1`, `x = (1 - 1/t) * x + (1/t) * z`,
    `w = (1 - beta_1) * z + beta_1 * x`.

    As in Keras on its torch backend, `x` is recovered from `w` with the momentum already
    updated (Keras reads `momentum.value` before updating it, but on torch that value is the
    variable's live tensor, updated in place).

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.0025`.
        beta_1: Float, the interpolation between `z` and its average (and the first-moment
            rate). Defaults to `0.9`.
        beta_2: Float, decay rate of the second-moment estimates. Defaults to `0.999`.
        epsilon: Float, small constant for numerical stability. Defaults to `1e-8`.
        warmup_steps: Int, number of updates over which the learning rate rises linearly
            from 0. Defaults to `0`.
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = ScheduleFreeAdamW(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()
    >>> round(w.item(), 4), round(opt.variables[2].item(), 4)  # w and momentum z
    (0.9, 0.9)
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
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
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(
                "ScheduleFreeAdamW: `warmup_steps` must be an integer >= 0, got "
                f"warmup_steps={warmup_steps!r}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def _build_slots(self, params):
        self._momentums, self._velocities = self._add_slots(params, ["momentum", "velocity"])
        with torch.no_grad():
            torch._foreach_copy_(self._momentums, list(params))   # z starts at the variable

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        t = f(step + 1)
        lr = f(learning_rate)
        if self.warmup_steps > 0:
            lr = lr * min(t / f(self.warmup_steps), f(1))
        beta_1, beta_2 = f(self.beta_1), f(self.beta_2)
        bias_2 = float(f(1) - beta_2 ** t)
        weight = f(1) / t

        z = [self._momentums[i] for i in indices]
        v = [self._velocities[i] for i in indices]
        torch._foreach_add_(v, torch._foreach_sub(torch._foreach_mul(grads, grads), v),
                            alpha=float(f(1) - beta_2))
        denominators = torch._foreach_div(v, bias_2)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, float(self.epsilon))
        steps = torch._foreach_mul(grads, float(lr))
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(z, steps)

        one_minus_beta_1 = float(f(1) - beta_1)
        x = torch._foreach_sub(params, torch._foreach_mul(z, one_minus_beta_1))
        torch._foreach_div_(x, float(beta_1))
        torch._foreach_mul_(x, float(f(1) - weight))
        torch._foreach_add_(x, torch._foreach_mul(z, float(weight)))
        torch._foreach_mul_(x, float(beta_1))
        torch._foreach_add_(x, torch._foreach_mul(z, one_minus_beta_1))
        torch._foreach_copy_(params, x)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}
