"""FTRL (Follow The Regularized Leader), Keras' update rule."""

import torch

from kerastorch.optimizers.base import Optimizer, _is_number, _scalar_dtype


class Ftrl(Optimizer):
    """FTRL-Proximal, Keras' update rule (McMahan et al. 2013, "Ad Click Prediction").

    Suited to shallow models with large, sparse feature spaces. With `p = -learning_rate_power`
    (0.5 by default), `n` the accumulator and `z` the linear term of each weight `w`:

    `g' = g + 2 * l2_shrinkage * w`, `n' = n + g**2`,
    `z = z + g' - (n'**p - n**p) / lr * w`,
    `w = (clip(z, -l1, l1) - z) / (n'**p / lr + 2 * (l2 + beta / (2 * lr)))`, `n = n'`.
    Weights whose `|z| <= l1` become exactly zero.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        learning_rate_power: Float `<= 0`, how the per-weight rate decays with the
            accumulated squared gradients; `0` keeps it fixed. Defaults to `-0.5`.
        initial_accumulator_value: Float `>= 0`, the accumulators' starting value.
            Defaults to `0.1`.
        l1_regularization_strength: Float `>= 0`. Defaults to `0.0`.
        l2_regularization_strength: Float `>= 0`, the stabilisation L2 term. Defaults to `0.0`.
        l2_shrinkage_regularization_strength: Float `>= 0`, an L2 penalty on the weights'
            magnitude, added to the gradient. Defaults to `0.0`.
        beta: Float, the paper's beta. Defaults to `0.0`.
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([0.0, 0.0]))
    >>> opt = Ftrl(learning_rate=0.1, l1_regularization_strength=0.5)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([1.0, 0.2])
    >>> opt.step()
    >>> [round(x, 4) for x in w.tolist()]  # (clip(z, -l1, l1) - z) / quadratic; |z| = 0.2 <= l1
    [-0.0477, 0.0]
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None,
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
        for arg, value, rule in [
            ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
            ("learning_rate_power", learning_rate_power, "negative or zero"),
            ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
             "positive or zero"),
            ("beta", beta, None),
        ]:
            if not _is_number(value):
                raise TypeError(f"Ftrl: `{arg}` must be a float, got {arg}={value!r}.")
            if rule is not None and (value > 0.0 if rule == "negative or zero" else value < 0.0):
                raise ValueError(f"Ftrl: `{arg}` needs to be {rule}, got {arg}={value!r}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _build_slots(self, params):
        # Keras' order: accumulator, linear, per variable.
        self._sums = []
        self._linears = []
        for p in params:
            accumulator = torch.full_like(p, float(self.initial_accumulator_value),
                                          memory_format=torch.preserve_format).detach()
            linear = torch.zeros_like(p, memory_format=torch.preserve_format).detach()
            self._sums.append(accumulator)
            self._linears.append(linear)
            self._slot_variables.extend([accumulator, linear])
        self._slot_groups.extend([self._sums, self._linears])

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        lr = f(learning_rate)
        power = float(-self.learning_rate_power)
        # Keras computes these scalars on float32 tensors.
        l2 = f(self.l2_regularization_strength) + f(self.beta) / (f(2.0) * lr)
        quadratic_offset = float(f(2.0) * l2)
        l1 = float(self.l1_regularization_strength)

        n = [self._sums[i] for i in indices]
        z = [self._linears[i] for i in indices]
        shrinkage = float(self.l2_shrinkage_regularization_strength)
        if shrinkage:
            grads_used = torch._foreach_mul(params, 2 * shrinkage)
            torch._foreach_add_(grads_used, grads)
        else:
            grads_used = grads
        new_n = torch._foreach_add(n, torch._foreach_mul(grads, grads))
        new_power = torch._foreach_pow(new_n, power)
        sigma = torch._foreach_sub(new_power, torch._foreach_pow(n, power))
        torch._foreach_div_(sigma, float(lr))
        torch._foreach_mul_(sigma, params)
        torch._foreach_add_(z, grads_used)
        torch._foreach_sub_(z, sigma)

        quadratic = torch._foreach_div(new_power, float(lr))
        torch._foreach_add_(quadratic, quadratic_offset)
        clipped = torch._foreach_clamp_min(z, -l1)
        torch._foreach_clamp_max_(clipped, l1)
        torch._foreach_sub_(clipped, z)
        torch._foreach_div_(clipped, quadratic)
        torch._foreach_copy_(params, clipped)
        torch._foreach_copy_(n, new_n)

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }

