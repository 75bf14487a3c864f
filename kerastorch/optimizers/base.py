"""The `Optimizer` base class: Keras 3's optimizer protocol on torch parameters.

Keras' arithmetic, kept on purpose (see `keras/src/optimizers/base_optimizer.py` and
`keras/src/backend/torch/optimizers/`):

- the order of one step is: unscale by `loss_scale_factor`, gradient accumulation, clipping,
  decoupled weight decay (`w *= 1 - weight_decay * lr`), the optimizer's own rule, then EMA;
- `clipnorm` clips each variable's gradient on its own, `global_clipnorm` all of them together;
- gradient accumulation applies the *average* of the accumulated gradients every
  `gradient_accumulation_steps` calls; learning-rate schedules see the raw call count, the
  update rules (Adam's bias correction, EMA) see `iterations = calls // steps`;
- scalars such as Adam's `lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)` are computed in the
  variables' float type (float32), as Keras' torch backend does on its tensors.

Speed: the step count and the learning rate live on the host (0-d CPU tensors, which are also
the optimizer's saved variables), so every per-step scalar is a plain Python number and a step
launches only `torch._foreach_*` kernels on the parameters' device: no host-device sync.
"""

import re
import warnings

import numpy as np
import torch

from kerastorch import config
from kerastorch import variables as _variables
from kerastorch.optimizers import schedules as _schedules
# _is_number and _scalar_dtype lived here, and the optimizers still import them from here.
from kerastorch.optimizers._gradient_transforms import _GradientTransformsMixin, _scalar_dtype
from kerastorch.optimizers._learning_rate import _LearningRateMixin, _is_number
from kerastorch.optimizers._state import _StateMixin


def _to_snake_case(name):
    # Keras' `to_snake_case`, so auto names match Keras': "RMSprop" -> "rm_sprop".
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(cls_name):
    # Keras' auto_name counts in the session's uids, so clear_session() restarts "adam", "adam_1".
    from kerastorch.layers.base import unique_name

    return unique_name(_to_snake_case(cls_name))


class Optimizer(_LearningRateMixin, _StateMixin, _GradientTransformsMixin):
    """Base class of Keras-style optimizers that update torch parameters in place.

    An optimizer is created without parameters, `Adam(learning_rate=1e-3)`, and attached
    with `build(params)`. Each `step()` then reads `p.grad` of every built parameter and
    applies Keras 3's update, exactly as Keras' torch backend computes it.

    Subclasses implement `_build_slots(params)` (create their slot variables with
    `_add_slots`) and `_update(grads, params, indices, learning_rate, step)`, where `grads`
    must not be modified in place (they may be the parameters' own `.grad` tensors).

    Args:
        learning_rate: A float, a `kerastorch.optimizers.schedules.LearningRateSchedule`,
            or a callable taking no arguments and returning the learning rate.
        weight_decay: Float. If set, decoupled weight decay: before each update every
            variable is multiplied by `1 - weight_decay * learning_rate`. Defaults to `None`.
        clipnorm: Float. If set, the gradient of each variable is clipped so that its
            norm is at most this value. Defaults to `None`.
        clipvalue: Float. If set, gradients are clipped elementwise to
            `[-clipvalue, clipvalue]`. Defaults to `None`.
        global_clipnorm: Float. If set, all gradients are scaled together so that their
            global norm is at most this value. Defaults to `None`.
        use_ema: Boolean. If `True`, keep an exponential moving average of the variables.
            Defaults to `False`.
        ema_momentum: Float in `[0, 1]`, the EMA momentum:
            `average = ema_momentum * average + (1 - ema_momentum) * variable`.
            Defaults to `0.99`.
        ema_overwrite_frequency: Int or `None`. If set, the variables are overwritten by
            their moving average every this many iterations; if `None`, call
            `finalize_variable_values()` at the end of training. Defaults to `None`.
        loss_scale_factor: Float or `None`. If set, gradients are divided by it before
            anything else (the loss is expected to have been multiplied by it, see
            `scale_loss`). Defaults to `None`.
        gradient_accumulation_steps: Int >= 2 or `None`. If set, variables are updated
            every this many `step()` calls, with the average of the gradients since the
            last update. Defaults to `None`.
        name: String, the optimizer's name. Defaults to the snake-case class name, made
            unique (`"adam"`, `"adam_1"`, ...).

    Example:
    >>> import torch
    >>> from kerastorch import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = optimizers.SGD(learning_rate=0.1)
    >>> opt.build([w])
    >>> w.grad = torch.tensor([1.0, -1.0])
    >>> opt.step()
    >>> w.detach().tolist(), opt.iterations
    ([0.8999999761581421, 2.0999999046325684], 1)
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        cls_name = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(
                f"{cls_name}: argument(s) not recognized: {sorted(kwargs)!r}. Keras 3 optimizers "
                "accept learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, "
                "ema_momentum, ema_overwrite_frequency, loss_scale_factor, "
                "gradient_accumulation_steps, name, and their own arguments."
            )
        if gradient_accumulation_steps is not None and (
            isinstance(gradient_accumulation_steps, bool)
            or not isinstance(gradient_accumulation_steps, (int, np.integer))
            or gradient_accumulation_steps < 2
        ):
            # Keras lets 0 and None both mean "off"; any other value must be an int >= 2.
            if gradient_accumulation_steps != 0:
                raise ValueError(
                    f"{cls_name}: `gradient_accumulation_steps` must be an integer >= 2 or None, "
                    f"got gradient_accumulation_steps={gradient_accumulation_steps!r}."
                )
        if use_ema:
            if not _is_number(ema_momentum) or not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"{cls_name}: `ema_momentum` must be in the range [0, 1], "
                    f"got ema_momentum={ema_momentum!r}."
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"{cls_name}: `ema_overwrite_frequency` must be an integer >= 1 or None, "
                    f"got ema_overwrite_frequency={ema_overwrite_frequency!r}."
                )
        clip_args = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clip_args.values()) > 1:
            given = ", ".join(f"{k}={v!r}" for k, v in clip_args.items() if v is not None)
            raise ValueError(
                f"{cls_name}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set, "
                f"got {given}."
            )
        for arg, value in [("weight_decay", weight_decay), ("loss_scale_factor", loss_scale_factor),
                           *clip_args.items()]:
            if value is not None and not _is_number(value):
                raise TypeError(f"{cls_name}: `{arg}` must be a float or None, got {arg}={value!r}.")
        if loss_scale_factor is not None and loss_scale_factor == 0:
            raise ValueError(f"{cls_name}: `loss_scale_factor` must be non-zero, got 0.")

        self.name = name if name is not None else _auto_name(cls_name)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        # Keras' `iteration` (int32) and `learning_rate` (floatx, float32 by default) variables.
        # They stay on the CPU whatever the parameters' device: reading them never waits for the
        # accelerator.
        self._iterations = torch.zeros((), dtype=torch.int32)
        self._lr_dtype = getattr(torch, config.floatx())   # as Keras: the floatx() of construction
        self._learning_rate = self._make_learning_rate(learning_rate)

        self._params = []
        self._slot_variables = []  # every per-parameter variable, in Keras' saved order
        self._slot_groups = []  # the same tensors, one list per slot name
        self._extra_variables = []  # scalar state Keras stores after the slots (Nadam)
        self._averages = []
        self._accumulators = []
        self._state_device = None
        self._pending_state = None
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._use_weight_decay = []

    # ------------------------------------------------------------------ stepping

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of the built parameters (to `None` by default)."""
        for p in self._params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def scale_loss(self, loss):
        """Multiplies `loss` by `loss_scale_factor` when it is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def apply(self, grads, trainable_variables=None):
        """Applies `grads` to `trainable_variables`, as Keras' `optimizer.apply`.

        Only the given variables are updated; their `.grad` is not read or changed. Variables
        whose `overwrite_with_gradient` is set are assigned their gradient instead, and each
        Variable's `constraint` is applied after the update, as in Keras.

        Args:
            grads: List of gradients (tensors, or `None` to skip a variable), in Keras' layout
                for Variables (`[v.value.grad for v in model.trainable_weights]`).
            trainable_variables: List of `kerastorch.Variable`s (`model.trainable_weights`) or
                `torch.nn.Parameter`s, in the same order as `grads`. Defaults to the variables the
                optimizer was built for. An unbuilt optimizer is built for them.

        Example:
        >>> import torch
        >>> from kerastorch import optimizers
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> optimizers.SGD(learning_rate=0.5).apply([torch.ones(2)], [w])
        >>> w.data
        tensor([0.5000, 0.5000])
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{type(self).__name__}.apply: the optimizer is not built, so it needs the variables "
                    "too: optimizer.apply(grads, model.trainable_weights)."
                )
            variables = list(self._params)
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.apply: got {len(grads)} gradients for {len(variables)} variables; "
                "pass one gradient (or None) per variable, in the same order."
            )
        pairs = [_variables.parameter_and_gradient(v, g) for v, g in zip(variables, grads)]
        if not self.built:
            self.build([p for p, _ in pairs])
        index = self._param_index
        indices, params, update_grads = [], [], []
        for i, (v, (p, g)) in enumerate(zip(variables, pairs)):
            j = index.get(id(p))
            if j is None:
                raise ValueError(
                    f"{type(self).__name__}.apply: variable #{i} "
                    f"({getattr(v, 'path', None) or tuple(p.shape)}) is not one the optimizer was built "
                    "for. Pass the variables it was built with (model.trainable_weights), not copies."
                )
            if g is None:
                continue
            if getattr(v, "overwrite_with_gradient", False):
                if self.gradient_accumulation_steps:
                    raise NotImplementedError(
                        f"{type(self).__name__}.apply: variables with overwrite_with_gradient=True "
                        "(float8 training state) are not supported together with "
                        "gradient_accumulation_steps in kerastorch."
                    )
                with torch.no_grad():
                    p.copy_(g)
                continue
            indices.append(j)
            params.append(p)
            update_grads.append(g)
        if not update_grads and any(g is None for _, g in pairs):
            raise ValueError(
                f"{type(self).__name__}.apply: no gradients provided for any of the {len(variables)} "
                "variable(s) (every gradient is None). Call loss.backward() first, and read the "
                "gradients after it: [v.value.grad for v in model.trainable_weights]."
            )
        missing = [getattr(v, "path", f"#{i}") for i, (v, (_, g)) in enumerate(zip(variables, pairs))
                   if g is None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. "
                          "If using `model.compile()`, did you forget to provide a `loss` argument?",
                          stacklevel=2)
        if update_grads:
            self._maybe_move_state()
            self._step_on(indices, params, update_grads)
        constrained = [v for v in variables if isinstance(v, _variables.Variable) and v.constraint is not None]
        for v in constrained:
            with torch.no_grad():
                v.assign(v.constraint(v.value))

    def apply_gradients(self, grads_and_vars):
        """Applies `(gradient, variable)` pairs, as Keras' `optimizer.apply_gradients`.

        Args:
            grads_and_vars: Iterable of `(gradient, variable)` pairs (see `apply`).
        """
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [v for _, v in pairs])

    @torch.no_grad()
    def step(self, closure=None):
        """Applies one Keras update from the gradients in `p.grad`.

        Parameters whose `.grad` is `None` are skipped, as Keras skips missing gradients.

        Args:
            closure: Optional callable re-evaluating the loss (torch convention); it is
                called with gradients enabled and its result is returned.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' is not built: call "
                "optimizer.build(model.trainable_weights) before step()."
            )
        if not self._params:
            self._iterations += 1
            return loss
        self._maybe_move_state()
        indices, params, grads = [], [], []
        for i, p in enumerate(self._params):
            if p.grad is not None:
                indices.append(i)
                params.append(p)
                grads.append(p.grad)
        if not grads:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': no gradients provided for any of the "
                f"{len(self._params)} parameter(s) (every p.grad is None). Call loss.backward() "
                "before optimizer.step()."
            )
        self._step_on(indices, params, grads)
        return loss

    @torch.no_grad()
    def _step_on(self, indices, params, grads):
        """One update of `params` (at `indices` in the built list) with `grads` in their layout."""
        calls = self._calls()
        n = self.gradient_accumulation_steps
        update = calls // n if n else calls  # the update count Keras' rules see (`iterations`)

        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)

        if n:
            accumulators = [self._accumulators[i] for i in indices]
            if (calls + 1) % n == 0:
                grads = torch._foreach_add(grads, accumulators)
                torch._foreach_div_(grads, n)
                self._apply_update(grads, params, indices, update)
                torch._foreach_zero_(self._accumulators)
            else:
                torch._foreach_add_(accumulators, grads)
        else:
            self._apply_update(grads, params, indices, update)

        if self.use_ema:
            self._update_ema(update)
        self._count_call(calls)

    def _apply_update(self, grads, params, indices, update):
        lr = self._current_learning_rate()
        grads = self._clip_gradients(grads)
        if self.weight_decay is not None:
            decayed = [p for p, i in zip(params, indices) if self._use_weight_decay[i]]
            if decayed:
                f = _scalar_dtype(params)
                # Keras: `w *= 1 - wd * lr`, computed as a float32 scalar.
                torch._foreach_mul_(decayed, float(f(1) - f(self.weight_decay) * f(lr)))
        self._update(grads, params, indices, lr, update)

    def _update(self, grads, params, indices, learning_rate, step):
        """Applies the optimizer's rule (override in subclasses).

        Args:
            grads: Gradients, already unscaled, averaged and clipped. Do not modify in place.
            params: The parameters to update in place (those with a gradient).
            indices: Position of each parameter in the built list, to find its slots.
            learning_rate: Python float (float32-rounded).
            step: Number of updates applied before this one (Keras' `iterations`).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement `_update`.")

    # ------------------------------------------------------------------ config

    def get_config(self):
        """Returns the optimizer's configuration with Keras' keys."""
        lr = self._learning_rate
        if isinstance(lr, torch.Tensor):
            lr = float(lr)
        elif isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer from `get_config()` output (a serialized schedule is rebuilt)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate!r}>"
