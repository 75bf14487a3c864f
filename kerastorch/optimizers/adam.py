"""Adam and AdamW, with Keras' epsilon placement (`epsilon` added to `sqrt(v)` without bias
correction, i.e. torch's `eps` scaled by `sqrt(1 - beta_2 ** t)`)."""

import numpy as np
import torch

from kerastorch.optimizers.base import Optimizer, _is_number, _scalar_dtype


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
        self._fused_steps = {}  # device -> 0-d float32 step count read by torch's fused kernel
        self._fused_device_cache = None

    def _build_slots(self, params):
        self._momentums, self._velocities = self._add_slots(params, ["momentum", "velocity"])
        self._velocity_hats = self._add_slots(params, "velocity_hat") if self.amsgrad else []

    # Set to False (on the class or an instance) to always take the `torch._foreach_*` path.
    _use_fused = True

    def _update(self, grads, params, indices, learning_rate, step):
        if self._use_fused and self._fused_update(grads, params, indices, learning_rate, step):
            return
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

    def _fused_update(self, grads, params, indices, learning_rate, step):
        """Keras' Adam update with torch's fused kernel; returns False (and does nothing) when
        that kernel would not compute Keras' update.

        `torch._fused_adam_` computes `w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps')`
        with the same `m`, `v` (and AMSGrad's running maximum of `v`) as Keras. Multiplying the
        fraction by `sqrt(1 - b2^t)` shows that `eps' = eps / sqrt(1 - b2^t)` gives Keras'
        `w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`: the same update (the
        kernel's `m` update and its double-precision scalars differ from Keras' by float32
        rounding only; Keras' float32 `alpha` is passed in through `lr`). `t` is a Python int,
        so the step count the kernel reads is written with a `fill_` on the device: no sync.
        Used for float32, dense, contiguous parameters and gradients on one CPU or CUDA device
        (other cases take the `torch._foreach_*` path). Weight decay is applied beforehand by
        the base class (Keras' float32 factor `1 - wd * lr`, and `exclude_from_weight_decay`),
        so the kernel runs with `weight_decay=0`.
        """
        fused = getattr(torch, "_fused_adam_", None)
        if fused is None:
            return False
        beta_1, beta_2, epsilon = self.beta_1, self.beta_2, self.epsilon
        if not (_is_number(beta_1) and _is_number(beta_2) and _is_number(epsilon)):
            return False
        beta_1, beta_2, epsilon = float(beta_1), float(beta_2), float(epsilon)
        t = step + 1
        bias_2 = 1.0 - beta_2 ** t
        if not (bias_2 > 0.0 and 1.0 - beta_1 ** t != 0.0):
            return False
        # Keras rounds `alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)` to float32 (on 20 steps of
        # lr 0.05 that rounding alone moves the weights by ~4e-6); the kernel scales `lr` by
        # `1 / (1 - b1^t)` and divides `sqrt(v)` by `sqrt(1 - b2^t)`, so this `lr` gives it
        # Keras' rounded alpha.
        f = np.float32
        alpha = f(learning_rate) * np.sqrt(f(1) - f(beta_2) ** f(t)) / (f(1) - f(beta_1) ** f(t))
        lr = float(alpha) * (1.0 - beta_1 ** t) / float(np.sqrt(bias_2))
        f32 = torch.float32
        for p, g in zip(params, grads):
            if (p.dtype != f32 or g.dtype != f32 or g.layout != torch.strided
                    or not p.is_contiguous() or not g.is_contiguous()):
                return False
        device = self._fused_device()
        if device is None:
            return False
        steps = self._fused_steps
        step_count = steps.get(device)
        if step_count is None:
            step_count = steps[device] = torch.zeros((), dtype=f32, device=device)
        step_count.fill_(float(t))
        fused(
            params,
            grads,
            [self._momentums[i] for i in indices],
            [self._velocities[i] for i in indices],
            [self._velocity_hats[i] for i in indices] if self.amsgrad else [],
            [step_count] * len(params),
            lr=lr,
            beta1=beta_1,
            beta2=beta_2,
            weight_decay=0.0,
            eps=epsilon / float(np.sqrt(bias_2)),
            amsgrad=bool(self.amsgrad),
            maximize=False,
        )
        return True

    def _fused_device(self):
        # The device every parameter and slot lives on, when it is one CPU or CUDA device;
        # checked again whenever the state moves.
        key = self._state_device
        cached = self._fused_device_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        device = key
        if device is None or device.type not in ("cpu", "cuda") or not all(
            t.device == device for t in [*self._params, *self._slot_variables]
        ):
            device = None
        self._fused_device_cache = (key, device)
        return device

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
