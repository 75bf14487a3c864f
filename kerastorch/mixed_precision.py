"""Mixed precision in Keras' way: a global dtype policy, run with `torch.autocast`.

`set_global_policy("mixed_bfloat16")` computes the layers in bfloat16 while the weights stay in
float32; `"mixed_float16"` does the same in float16 and scales the loss dynamically so small
gradients survive (Keras' `LossScaleOptimizer`). The trainer applies the policy in
`fit`/`evaluate`/`predict`; the model's weights and the optimizer's state stay float32.
"""

import torch

_POLICIES = {
    "float32": (None, "float32"),
    "mixed_bfloat16": (torch.bfloat16, "bfloat16"),
    "mixed_float16": (torch.float16, "float16"),
    "bfloat16": (torch.bfloat16, "bfloat16"),
    "float16": (torch.float16, "float16"),
}


class DTypePolicy:
    """A dtype policy: the dtype layers compute in and the dtype their weights are stored in.

    Args:
        name: `"float32"` (default), `"mixed_bfloat16"` or `"mixed_float16"`.

    Example:
    >>> DTypePolicy("mixed_bfloat16").compute_dtype
    'bfloat16'
    >>> DTypePolicy("mixed_bfloat16").variable_dtype
    'float32'
    """

    def __init__(self, name="float32"):
        if name not in _POLICIES:
            raise ValueError(
                f"Unknown dtype policy {name!r}. Known: {', '.join(sorted(_POLICIES))} "
                "(use 'mixed_bfloat16' or 'mixed_float16' for mixed precision)."
            )
        self.name = name
        self.autocast_dtype, self.compute_dtype = _POLICIES[name]
        self.variable_dtype = "float32" if name.startswith("mixed_") or name == "float32" else name

    @property
    def needs_loss_scaling(self):
        """Whether gradients need dynamic loss scaling (float16 compute)."""
        return self.autocast_dtype is torch.float16

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy
_GLOBAL = DTypePolicy("float32")


def set_global_policy(policy):
    """Sets the dtype policy every model trains with.

    Args:
        policy: A policy name (`"float32"`, `"mixed_bfloat16"`, `"mixed_float16"`) or a `DTypePolicy`.

    Example:
    >>> set_global_policy("mixed_bfloat16")
    >>> global_policy().name
    'mixed_bfloat16'
    >>> set_global_policy("float32")
    """
    global _GLOBAL
    _GLOBAL = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)


def global_policy():
    """Returns the global `DTypePolicy`."""
    return _GLOBAL


def autocast(device):
    """The `torch.autocast` context for the global policy on `device` (a no-op for float32)."""
    policy = _GLOBAL
    if policy.autocast_dtype is None:
        return torch.autocast(device_type=torch.device(device).type, enabled=False)
    return torch.autocast(device_type=torch.device(device).type, dtype=policy.autocast_dtype)


class LossScaler:
    """Dynamic loss scaling for float16 training (what Keras' `LossScaleOptimizer` does).

    The loss is multiplied by `scale` before `backward()`; the gradients are divided back
    and checked: a step with an infinite or NaN gradient is skipped and the scale halved;
    after `growth_interval` good steps the scale doubles. Each check reads one flag back
    from the device (as torch's GradScaler does).

    Args:
        initial_scale: Starting scale. Defaults to `2 ** 15`, as Keras.
        growth_interval: Good steps before the scale doubles. Defaults to `2000`, as Keras.
    """

    def __init__(self, initial_scale=2.0 ** 15, growth_interval=2000):
        self.scale = float(initial_scale)
        self.growth_interval = int(growth_interval)
        self._good_steps = 0

    def backward(self, loss):
        """Runs `backward()` on the scaled loss."""
        (loss * self.scale).backward()

    def unscale_and_check(self, params):
        """Divides the gradients by the scale; returns `True` when they are all finite."""
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return True
        found_inf = torch.zeros(1, device=grads[0].device)
        inv_scale = torch.full((1,), 1.0 / self.scale, device=grads[0].device)
        torch._amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale)
        finite = not bool(found_inf.item())
        if finite:
            self._good_steps += 1
            if self._good_steps >= self.growth_interval:
                self.scale *= 2.0
                self._good_steps = 0
        else:
            self.scale = max(self.scale / 2.0, 1.0)
            self._good_steps = 0
        return finite


__all__ = ["DTypePolicy", "LossScaler", "Policy", "global_policy", "set_global_policy"]
