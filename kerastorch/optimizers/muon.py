"""Muon (momentum orthogonalised by Newton-Schulz), Keras' update rule, with AdamW for the rest."""

import re

import numpy as np
import torch

from kerastorch.optimizers.base import Optimizer, _scalar_dtype


def _path(param):
    path = getattr(param, "path", None)
    return path if isinstance(path, str) else ""


class Muon(Optimizer):
    """Muon, Keras' update rule (Jordan et al. 2024; Liu et al. 2025, "Muon is Scalable for
    LLM Training"), with an AdamW step for the variables Muon does not suit.

    A variable takes the AdamW step when it is not 2-D, when `exclude_embeddings` is set and
    its path contains `"embedding"`, or when its path matches one of `exclude_layers`
    (regular expressions, `re.search`); every other variable takes the Muon step:
    `m = momentum * m + g`, `d = g + momentum * m` (Nesterov) or `d = m`,
    `w = w - lr * NS5(d) * sqrt(max(rows, cols)) * rms_rate`, where `NS5` runs `ns_steps`
    Newton-Schulz iterations `x = a x + (b A + c A A) x`, `A = x x^T` (`a, b, c` =
    `muon_a, muon_b, muon_c`) on `d / (||d||_F + 1e-7)`, transposed so that it has no more
    rows than columns. The AdamW step is Keras' Adam (`epsilon` outside the bias-corrected
    root) at `lr * adam_lr_ratio`. Weight decay is decoupled, `w = w - w * wd * lr`, with
    `weight_decay` for Muon variables and `adam_weight_decay` for AdamW ones.

    The update is the same whether a weight is stored in Keras' layout or in a torch layout
    (a transpose or permutation of it): Newton-Schulz commutes with both.

    Args:
        learning_rate: Float, schedule or callable. Defaults to `0.001`.
        adam_beta_1: Float, AdamW's first-moment decay. Defaults to `0.9`.
        adam_beta_2: Float, AdamW's second-moment decay. Defaults to `0.999`.
        adam_weight_decay: Float or `None`, the weight decay of AdamW variables.
            Defaults to `0.004`.
        epsilon: Float, AdamW's epsilon. Defaults to `1e-7`.
        weight_decay: Float or `None`, the weight decay of Muon variables. Defaults to `0.004`.
        exclude_layers: List of regular expressions; variables whose path matches one take
            the AdamW step. Defaults to `None` (none).
        exclude_embeddings: Whether variables with `"embedding"` in their path take the AdamW
            step. Defaults to `True`.
        muon_a: Float, Newton-Schulz coefficient `a`. Defaults to `3.4445`.
        muon_b: Float, coefficient `b`. Defaults to `-4.7750`.
        muon_c: Float, coefficient `c`. Defaults to `2.0315`.
        adam_lr_ratio: Float, AdamW's learning rate as a fraction of `learning_rate`.
            Defaults to `1`.
        momentum: Float, Muon's momentum. Defaults to `0.95`.
        ns_steps: Int, Newton-Schulz iterations. Defaults to `5`.
        nesterov: Boolean, Nesterov-style momentum. Defaults to `True`.
        rms_rate: Float or `None`, the Moonlight update scale `sqrt(max(rows, cols)) *
            rms_rate`; `None` leaves the update unscaled. Defaults to `0.2`.
        **kwargs: The other common optimizer arguments (`clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`, `name`), see `Optimizer`.

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.zeros(2, 2))
    >>> opt = Muon(learning_rate=0.1, weight_decay=None, rms_rate=None, nesterov=False)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([[3.0, 0.0], [0.0, 3.0]])
    >>> opt.step()
    >>> [[round(x, 2) for x in row] for row in w.tolist()]  # -lr * NS5(g), NS5(g) ~ the identity
    [[-0.11, 0.0], [0.0, -0.11]]
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"Muon: `ns_steps` must be an integer >= 0, got ns_steps={ns_steps!r}.")
        if exclude_layers is not None and (
            isinstance(exclude_layers, str) or not all(isinstance(k, str) for k in exclude_layers)
        ):
            raise TypeError(
                "Muon: `exclude_layers` must be a list of strings (regular expressions matched "
                f"against the variables' paths), got exclude_layers={exclude_layers!r}."
            )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, param):
        if param.dim() != 2:
            return True
        path = _path(param)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def _build_slots(self, params):
        # Keras' order per variable: momentum, then (AdamW variables only) velocity.
        self._momentums, self._velocities, self._uses_adamw = [], [], []
        for p in params:
            m = torch.zeros_like(p, memory_format=torch.preserve_format).detach()
            self._momentums.append(m)
            self._slot_variables.append(m)
            adamw = self._should_use_adamw(p)
            self._uses_adamw.append(adamw)
            v = None
            if adamw:
                v = torch.zeros_like(p, memory_format=torch.preserve_format).detach()
                self._slot_variables.append(v)
            self._velocities.append(v)

    def _maybe_move_state(self):
        before = list(self._slot_variables)
        super()._maybe_move_state()
        if before and before[0] is not self._slot_variables[0]:
            moved = {id(a): b for a, b in zip(before, self._slot_variables)}
            self._momentums[:] = [moved[id(t)] for t in self._momentums]
            self._velocities[:] = [None if t is None else moved[id(t)] for t in self._velocities]

    def _slots_with_owners(self):
        """(slot, parameter) pairs: the slots are stored in their parameter's layout."""
        pairs = list(zip(self._momentums, self._params))
        pairs += [(v, p) for v, p in zip(self._velocities, self._params) if v is not None]
        return pairs

    def _apply_update(self, grads, params, indices, update):
        lr = self._current_learning_rate()
        grads = self._clip_gradients(grads)
        f = _scalar_dtype(params)
        for p, i in zip(params, indices):
            if not self._use_weight_decay[i]:
                continue
            wd = self.adam_weight_decay if self._uses_adamw[i] else self.weight_decay
            if wd is None:
                continue
            # Keras: `w - w * wd * lr`, with wd and lr cast to the variable's dtype.
            p.sub_(p * float(f(wd)) * float(f(lr)))
        self._update(grads, params, indices, lr, update)

    def _update(self, grads, params, indices, learning_rate, step):
        f = _scalar_dtype(params)
        adam = [(i, p, g) for i, p, g in zip(indices, params, grads) if self._uses_adamw[i]]
        muon = [(i, p, g) for i, p, g in zip(indices, params, grads) if not self._uses_adamw[i]]
        if adam:
            self._adamw_step(adam, f(learning_rate) * f(self.adam_lr_ratio), step, f)
        for i, p, g in muon:
            self._muon_step(i, p, g, f(learning_rate))

    def _adamw_step(self, items, lr, step, f):
        t = f(step + 1)
        beta_1, beta_2 = f(self.adam_beta_1), f(self.adam_beta_2)
        alpha = float(lr * np.sqrt(f(1) - beta_2 ** t) / (f(1) - beta_1 ** t))
        params = [p for _, p, _ in items]
        grads = [g for _, _, g in items]
        m = [self._momentums[i] for i, _, _ in items]
        v = [self._velocities[i] for i, _, _ in items]
        torch._foreach_add_(m, torch._foreach_sub(grads, m), alpha=1 - self.adam_beta_1)
        torch._foreach_add_(v, torch._foreach_sub(torch._foreach_mul(grads, grads), v),
                            alpha=1 - self.adam_beta_2)
        steps = torch._foreach_mul(m, alpha)
        denominators = torch._foreach_sqrt(v)
        torch._foreach_add_(denominators, float(self.epsilon))
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(params, steps)

    def _muon_step(self, i, p, g, lr):
        m = self._momentums[i]
        m.add_(g + m * (self.momentum - 1))
        direction = g + self.momentum * m if self.nesterov else m
        update = self._newton_schulz(direction)
        update = update * float(lr)
        if self.rms_rate is not None:
            update = update * float(np.sqrt(max(update.shape[0], update.shape[1]))) * self.rms_rate
        p.sub_(update)

    def _newton_schulz(self, x):
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        wide = x.shape[-2] <= x.shape[-1]
        if not wide:
            x = x.transpose(-2, -1)
        x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
        for _ in range(self.ns_steps):
            gram = x @ x.transpose(-2, -1)
            x = a * x + (b * gram + c * gram @ gram) @ x
        return x if wide else x.transpose(-2, -1)

    def get_config(self):
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
