"""`LossScaleOptimizer`: Keras' dynamic loss scaling around another optimizer.

The scaling rule lives in `DynamicLossScale`, which `LossScaleOptimizer` and the trainer's
float16 loss scaling for `torch.optim` optimizers (`kerastorch.mixed_precision.LossScaler`)
both use, so there is one implementation of Keras' rule.
"""

import math

import torch

from kerastorch.optimizers.base import Optimizer


class DynamicLossScale:
    """Keras' dynamic loss scale: the scale and its good-step counter, on the host.

    After a step with finite gradients the counter goes up, and when it reaches
    `dynamic_growth_steps` the scale doubles and the counter restarts; a step with an
    infinite or NaN gradient is skipped, the scale halved and the counter reset.

    Args:
        initial_scale: The starting scale. Defaults to `2 ** 15`.
        dynamic_growth_steps: Finite steps between two doublings. Defaults to `2000`.

    Example:
    >>> scale = DynamicLossScale(initial_scale=8.0, dynamic_growth_steps=2)
    >>> grads = [torch.tensor([8.0, 16.0])]
    >>> scale.unscale_(grads), grads[0].tolist()
    (True, [1.0, 2.0])
    >>> scale.unscale_([torch.tensor([float("inf")])]), scale.scale
    (False, 4.0)
    """

    def __init__(self, initial_scale=2.0 ** 15, dynamic_growth_steps=2000):
        # Keras' `dynamic_scale` (float32) and `step_counter` (int32) variables.
        self.scale_variable = torch.tensor(float(initial_scale), dtype=torch.float32)
        self.counter_variable = torch.zeros((), dtype=torch.int32)
        self.dynamic_growth_steps = int(dynamic_growth_steps)

    @property
    def scale(self):
        """The current loss scale, a Python float."""
        return float(self.scale_variable)

    def _update(self, finite):
        if finite:
            if int(self.counter_variable) == self.dynamic_growth_steps - 1:
                self.counter_variable.zero_()
                self.scale_variable.mul_(2.0)
            else:
                self.counter_variable.add_(1)
        else:
            self.counter_variable.zero_()
            self.scale_variable.mul_(0.5)
        return finite

    def unscale_(self, grads):
        """Divides `grads` (a list of tensors) by the scale in place and updates the scale.

        Returns `True` when every gradient is finite (the step should be applied). One flag
        is read back from the device, as torch's `GradScaler` does.
        """
        grads = [g for g in grads if g is not None]
        if not grads:
            return self._update(True)
        scale = self.scale
        if math.frexp(scale)[0] == 0.5:
            # A power of two (always, unless initial_scale is not one): multiplying by its
            # inverse is exact, so torch's fused check-and-unscale gives Keras' `g / scale`.
            flags = []
            groups = {}
            for g in grads:
                groups.setdefault((g.device, g.dtype), []).append(g)
            for (device, _), group in groups.items():
                flag = torch.zeros(1, device=device)
                torch._amp_foreach_non_finite_check_and_unscale_(
                    group, flag, torch.full((1,), 1.0 / scale, device=device))
                flags.append(flag)
            finite = not any(bool(flag.item()) for flag in flags)
        else:
            torch._foreach_div_(grads, scale)
            finite = _all_finite(grads)
        return self._update(finite)

    def unscaled(self, grads):
        """`(finite, grads / scale)`, leaving `grads` unchanged; updates the scale."""
        finite = _all_finite([g for g in grads if g is not None])
        scale = self.scale
        out = [None if g is None else g / scale for g in grads]
        return self._update(finite), out


def _all_finite(grads):
    if not grads:
        return True
    device = grads[0].device
    return bool(torch.stack([torch.isfinite(g).all().to(device) for g in grads]).all())


class LossScaleOptimizer(Optimizer):
    """An optimizer that scales the loss dynamically, so float16 gradients do not underflow.

    It wraps `inner_optimizer`: `scale_loss(loss)` multiplies the loss by the current scale
    (call `backward()` on the result); each step divides the gradients by it, skips the
    update when a gradient is infinite or NaN (halving the scale) and otherwise applies the
    inner optimizer, doubling the scale after `dynamic_growth_steps` finite steps in a row.
    `compile()` wraps the optimizer in one (named `"loss_scale_optimizer"`) when the model's
    dtype policy is `"mixed_float16"`, as Keras does.

    Its variables are Keras': `iteration`, `learning_rate` (0: unused), `step_counter`,
    `dynamic_scale`, then the inner optimizer's. `learning_rate` and `iterations` are the
    inner optimizer's.

    Args:
        inner_optimizer: The kerastorch `Optimizer` to wrap (its `loss_scale_factor` is
            cleared, or gradients would be unscaled twice).
        initial_scale: Float, the starting loss scale. Defaults to `2 ** 15`.
        dynamic_growth_steps: Int, finite steps between doublings of the scale.
            Defaults to `2000`.
        name: String. Defaults to `"loss_scale_optimizer"` (made unique).
        **kwargs: Only the common optimizer arguments at their defaults (as older configs
            write them); set clipping, weight decay, EMA, ... on the inner optimizer.

    Example:
    >>> import torch
    >>> from kerastorch import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=0.1), initial_scale=4.0)
    >>> opt.build([w])
    >>> opt.scale_loss(2.0 * w.sum()).backward()
    >>> w.grad.item()  # scaled by 4
    8.0
    >>> opt.step()
    >>> w.item()  # 1 - 0.1 * 2
    0.800000011920929
    """

    _DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                 "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                 "loss_scale_factor": None, "gradient_accumulation_steps": None}

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for arg, default in self._DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: {', '.join(map(repr, kwargs))}. "
                "It takes inner_optimizer, initial_scale, dynamic_growth_steps and name."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer: `inner_optimizer` must be a kerastorch optimizer (e.g. "
                f"optimizers.Adam()), got {type(inner_optimizer).__name__}: {inner_optimizer!r}."
            )
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) \
                or dynamic_growth_steps < 1:
            raise ValueError(
                "LossScaleOptimizer: `dynamic_growth_steps` must be an integer >= 1, got "
                f"dynamic_growth_steps={dynamic_growth_steps!r}."
            )
        if isinstance(initial_scale, bool) or not isinstance(initial_scale, (int, float)) \
                or not initial_scale > 0:
            raise ValueError(
                "LossScaleOptimizer: `initial_scale` must be a positive number, got "
                f"initial_scale={initial_scale!r}."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        # The inner optimizer must not unscale the gradients a second time.
        self.inner_optimizer.loss_scale_factor = None
        self._loss_scale = DynamicLossScale(initial_scale, dynamic_growth_steps)

    # ------------------------------------------------------------------ state
    def _build_slots(self, params):
        self.inner_optimizer.build(params)
        self._extra_variables.extend([self._loss_scale.counter_variable,
                                      self._loss_scale.scale_variable])

    @property
    def step_counter(self):
        """Keras' `step_counter` variable: finite steps since the scale last changed (int32)."""
        return self._loss_scale.counter_variable

    @property
    def dynamic_scale(self):
        """Keras' `dynamic_scale` variable: the current loss scale (float32)."""
        return self._loss_scale.scale_variable

    @property
    def variables(self):
        """`iteration`, `learning_rate`, `step_counter`, `dynamic_scale`, then the inner optimizer's."""
        return super().variables + self.inner_optimizer.variables

    def state_dict(self):
        """The state as a plain dict: this optimizer's, with the inner one's under `"inner"`."""
        state = super().state_dict()
        state["inner"] = self.inner_optimizer.state_dict()
        return state

    def load_state_dict(self, state_dict):
        """Restores a `state_dict()` (before `build()`, when built)."""
        if not self.built:
            return super().load_state_dict(state_dict)
        state = dict(state_dict)
        inner = state.pop("inner", None)
        super().load_state_dict(state)
        if inner is not None:
            self.inner_optimizer.load_state_dict(inner)

    # ------------------------------------------------------------------ delegation
    @property
    def learning_rate(self):
        """The inner optimizer's learning rate (settable)."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        """The inner optimizer's update count (skipped steps do not count)."""
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list=None):
        """The inner optimizer's `finalize_variable_values` (EMA weights into the model)."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of the parameters."""
        self.inner_optimizer.zero_grad(set_to_none=set_to_none)

    def scale_loss(self, loss):
        """Multiplies `loss` by the current scale (`initial_scale` before the optimizer is built)."""
        scale = self._loss_scale.scale if self.built else self.initial_scale
        return loss * scale

    # ------------------------------------------------------------------ stepping
    def _require_built(self, what):
        if not self.built:
            raise ValueError(
                f"LossScaleOptimizer '{self.name}' is not built: call "
                f"optimizer.build(model.trainable_weights) before {what}."
            )

    @torch.no_grad()
    def step(self, closure=None):
        """Unscales `p.grad` in place; applies the inner optimizer when every gradient is finite."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self._require_built("step()")
        grads = [p.grad for p in self._params if p.grad is not None]
        if not grads:
            return self.inner_optimizer.step()   # raises: no gradients (or no parameters) to apply
        if self._loss_scale.unscale_(grads):
            self.inner_optimizer.step()
        return loss

    def apply(self, grads, trainable_variables=None):
        """Unscales `grads` (not in place); applies them with the inner optimizer when finite.

        Args:
            grads: List of gradients of the scaled loss (or `None`).
            trainable_variables: The variables, as for `Optimizer.apply`. An unbuilt
                optimizer is built for them.
        """
        grads = list(grads)
        if not grads:
            return
        if not self.built:
            if trainable_variables is None:
                raise ValueError("LossScaleOptimizer.apply: the optimizer is not built, so it needs the "
                                 "variables too: optimizer.apply(grads, model.trainable_weights).")
            self.build(trainable_variables)
        finite, unscaled = self._loss_scale.unscaled(grads)
        if finite:
            self.inner_optimizer.apply(unscaled, trainable_variables)

    def get_config(self):
        """Keras' config: `name`, `inner_optimizer` (serialized), `initial_scale`, `dynamic_growth_steps`."""
        from kerastorch import optimizers

        return {"name": self.name, "inner_optimizer": optimizers.serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the optimizer, deserializing the inner one."""
        from kerastorch import optimizers

        config = dict(config)
        inner = optimizers.deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return (f"<LossScaleOptimizer name={self.name!r} inner_optimizer={self.inner_optimizer!r} "
                f"scale={self._loss_scale.scale}>")
