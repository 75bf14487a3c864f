"""What `Optimizer` does around each update rule (a mixin of `kerastorch.optimizers.base.Optimizer`).

Decoupled weight decay's exclusions, gradient clipping (`clipnorm`, `global_clipnorm`,
`clipvalue`) and the EMA of the variables (`use_ema`), as Keras computes them. The mixin has no
`__init__`: `Optimizer.__init__` sets the options and the lists they work on.
"""

import re

import numpy as np
import torch

from kerastorch import variables as _variables


def _scalar_dtype(params):
    # Keras casts every scalar to the variable dtype; float64 variables get float64 scalars,
    # everything else (float32, and half types whose scalars torch computes in float32) float32.
    if params and params[0].dtype == torch.float64:
        return np.float64
    return np.float32


class _GradientTransformsMixin:
    """Weight-decay exclusions, gradient clipping and the EMA of `Optimizer`."""

    # ------------------------------------------------------------------ weight decay

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay; call before `build()`.

        Args:
            var_list: List of parameters to exclude.
            var_names: List of strings; a parameter is excluded when one of them occurs in
                its `path` (or `name`) string attribute, as set by its layer (e.g. `"dense/bias"`).
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is built."
            )
        self._exclude_ids = {id(_variables.stored_tensor(v)) for v in var_list or []}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _decays(self, param):
        if id(param) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None:
            for attr in ("path", "name"):  # a Keras-style `path` ("dense/bias") set by the layer
                name = getattr(param, attr, None)
                if isinstance(name, str) and self._exclude_pattern.search(name):
                    return False
        return True

    # ------------------------------------------------------------------ clipping and EMA

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            # Per variable (Keras `_clip_by_norm`): g * c / max(||g||, c).
            norms = torch._foreach_norm(grads)
            torch._foreach_clamp_min_(norms, float(self.clipnorm))
            clipped = torch._foreach_mul(grads, float(self.clipnorm))
            torch._foreach_div_(clipped, norms)
            return clipped
        if self.global_clipnorm and self.global_clipnorm > 0:
            # Keras `clip_by_global_norm`: scale = c * min(1/norm, 1/c), plus (norm - norm)
            # so that a non-finite norm turns every gradient into NaN. All on the device.
            c = float(self.global_clipnorm)
            norms = torch._foreach_norm(grads)
            total = torch.linalg.vector_norm(torch.stack([n.to(norms[0].device) for n in norms]))
            scale = torch.clamp_max(total.reciprocal(), 1.0 / c) * c + (total - total)
            return torch._foreach_mul(grads, scale)
        if self.clipvalue and self.clipvalue > 0:
            v = float(self.clipvalue)
            clipped = torch._foreach_clamp_min(grads, -v)
            torch._foreach_clamp_max_(clipped, v)
            return clipped
        return grads

    def _update_ema(self, update):
        f = _scalar_dtype(self._params)
        momentum = f(0.0) if update == 0 else f(self.ema_momentum)
        torch._foreach_mul_(self._averages, float(momentum))
        torch._foreach_add_(self._averages, self._params, alpha=float(f(1) - momentum))
        freq = self.ema_overwrite_frequency
        if freq and (update + 1) % freq == 0:
            torch._foreach_copy_(self._params, self._averages)

    def finalize_variable_values(self, var_list=None):
        """With `use_ema=True`, overwrites the parameters with their moving averages.

        Args:
            var_list: The parameters; defaults to those the optimizer was built with.
        """
        if not self.use_ema or not self.built:
            return
        var_list = self._params if var_list is None else [_variables.stored_tensor(v) for v in var_list]
        if len(var_list) != len(self._averages):
            raise ValueError(
                f"finalize_variable_values: got {len(var_list)} variable(s) but the optimizer "
                f"holds {len(self._averages)} moving average(s)."
            )
        with torch.no_grad():
            torch._foreach_copy_(var_list, self._averages)
