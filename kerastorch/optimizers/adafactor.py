"""Adafactor, Keras' update rule: second moments factored over the last two axes."""

import numpy as np
import torch

from kerastorch.optimizers import _layouts
from kerastorch.optimizers.base import Optimizer, _scalar_dtype


def _rms(x):
    return torch.sqrt(torch.mean(torch.square(x)))


class Adafactor(Optimizer):
    """Adafactor, Keras' update rule (Shazeer & Stern 2018, "Adafactor: Adaptive Learning
    Rates with Sublinear Memory Cost").

    For a variable of 2 or more axes, the second moments are kept as a row factor `r`
    (the last axis averaged out) and a column factor `c` (the second-to-last averaged out),
    in Keras' layout whatever layout the weight is stored in; smaller variables keep a full
    `v`. With `t` the update number (from 1), `rho = min(lr, 1 / sqrt(t))`,
    `beta_2_t = 1 - t**beta_2_decay` and `s = g**2 + epsilon_1`:
    `r = beta_2_t * r + (1 - beta_2_t) * mean(s, -1)`, `c` likewise with `mean(s, -2)`,
    `v = (r / mean(r, -1))[..., None] * c[..., None, :]` (or `v = beta_2_t * v + (1 - beta_2_t) * s`),
    `u = g / sqrt(v)`, `u = u / max(1, rms(u) / clip_threshold)`,
    `w = w - max(epsilon_2, rms(w)) * rho * u`.

    Keras stores, per variable, `r`, `c` and `v`; for variables of fewer than 2 axes `r`
    and `c` are int32 zeros (placeholders), kept here too so that saved states line up.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        beta_2_decay: Float, the decay exponent of `beta_2`. Defaults to `-0.8`.
        epsilon_1: Float, added to the squared gradients. Defaults to `1e-30`.
        epsilon_2: Float, the smallest relative step scale. Defaults to `1e-3`.
        clip_threshold: Float, the threshold of Adafactor's own update clipping (independent
            of `clipnorm`/`clipvalue`/`global_clipnorm`). Defaults to `1.0`.
        relative_step: Boolean. With a constant `learning_rate`, whether the learning rate is
            capped by `1 / sqrt(t)` (Keras caps `rho` by it in every case). Defaults to `True`.
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.ones(2, 3))
    >>> opt = Adafactor(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.ones(2, 3)
    >>> opt.step()
    >>> [tuple(v.shape) for v in opt.variables[2:]]  # r, c, v of the (2, 3) weight
    [(2,), (3,), (2, 3)]
    >>> round(w[0, 0].item(), 4)  # w - rms(w) * min(lr, 1) * u, with u = 1
    0.9
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step
        self._layouts = []
        self._factored = []

    def build(self, params):
        params = list(params)
        if not self.built:
            # Before the base class turns Variables into their stored tensors.
            self._layouts = [_layouts.keras_layout(p) for p in params]
        super().build(params)

    def _build_slots(self, params):
        # Keras' order per variable: r, c, v (all in Keras' layout), after the EMA averages and
        # gradient accumulators the base class made.
        self._factored = []
        self._first_slot = len(self._slot_variables)
        for p, layout in zip(params, self._layouts):
            shape = tuple(layout[1](p).shape) if layout is not None else tuple(p.shape)
            if len(shape) < 2:
                r = torch.zeros((), dtype=torch.int32)
                c = torch.zeros((), dtype=torch.int32)
                self._factored.append(False)
            else:
                r = torch.zeros(shape[:-1], dtype=p.dtype, device=p.device)
                c = torch.zeros(shape[:-2] + shape[-1:], dtype=p.dtype, device=p.device)
                self._factored.append(True)
            v = torch.zeros(shape, dtype=p.dtype, device=p.device)
            self._slot_variables.extend([r, c, v])

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        t = f(step + 1)
        lr = f(learning_rate)
        inverse_sqrt = f(1) / np.sqrt(t)
        if self.relative_step and isinstance(self._learning_rate, torch.Tensor):
            lr = min(lr, inverse_sqrt)
        rho = float(min(lr, inverse_sqrt))
        beta_2_t = f(1) - t ** f(self.beta_2_decay)
        keep, take = float(beta_2_t), float(f(1) - beta_2_t)
        slots = self._slot_variables[self._first_slot:]
        epsilon_1, epsilon_2 = float(self.epsilon_1), float(self.epsilon_2)
        threshold = float(self.clip_threshold)
        # One variable at a time, as Keras: the factors and RMS values are per variable. The
        # update is computed on Keras' layout views (transposes and permutations of the stored
        # tensor): which axes are last decides what is factored.
        for i, p, g in zip(indices, params, grads):
            layout = self._layouts[i]
            w = layout[1](p) if layout is not None else p
            g = layout[1](g) if layout is not None else g
            r, c, v = slots[3 * i], slots[3 * i + 1], slots[3 * i + 2]
            alpha = torch.clamp_min(_rms(w), epsilon_2) * rho
            s = g * g + epsilon_1
            if self._factored[i]:
                r.mul_(keep).add_(s.mean(dim=-1), alpha=take)
                c.mul_(keep).add_(s.mean(dim=-2), alpha=take)
                v.copy_((r / r.mean(dim=-1, keepdim=True)).unsqueeze(-1) * c.unsqueeze(-2))
            else:
                v.mul_(keep).add_(s, alpha=take)
            u = g / torch.sqrt(v)
            u = u / torch.clamp_min(_rms(u) / threshold, 1.0)
            new = w - alpha * u
            p.copy_(layout[0](new) if layout is not None else new)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }

