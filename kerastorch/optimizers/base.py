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



def _to_snake_case(name):
    # Keras' `to_snake_case`, so auto names match Keras': "RMSprop" -> "rm_sprop".
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(cls_name):
    # Keras' auto_name counts in the session's uids, so clear_session() restarts "adam", "adam_1".
    from kerastorch.layers.base import unique_name

    return unique_name(_to_snake_case(cls_name))


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _scalar_dtype(params):
    # Keras casts every scalar to the variable dtype; float64 variables get float64 scalars,
    # everything else (float32, and half types whose scalars torch computes in float32) float32.
    if params and params[0].dtype == torch.float64:
        return np.float64
    return np.float32


class Optimizer:
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

    # ------------------------------------------------------------------ learning rate

    def _make_learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
        ):
            return learning_rate
        return torch.tensor(self._check_lr_value(learning_rate), dtype=self._lr_dtype)

    def _check_lr_value(self, value):
        if isinstance(value, _variables.Variable) and not value.ndim:
            return float(value)
        if isinstance(value, torch.Tensor) and value.numel() == 1 and value.is_floating_point():
            return float(value)
        if not _is_number(value):
            raise TypeError(
                f"{type(self).__name__}: `learning_rate` must be a float, a "
                "kerastorch.optimizers.schedules.LearningRateSchedule or a callable returning "
                f"the learning rate, got learning_rate={value!r}."
            )
        return float(value)

    def _current_learning_rate(self):
        """The learning rate of the next update, rounded to float32 like Keras' variable."""
        lr = self._learning_rate
        if isinstance(lr, torch.Tensor):
            # Read again only after a write to it (its version counter: fill_, assign, a load).
            kept = self.__dict__.get("_lr_read")
            if kept is None or kept[0] is not lr or kept[1] != lr._version:
                kept = self.__dict__["_lr_read"] = (lr, lr._version, float(lr))
            return kept[2]
        if isinstance(lr, _schedules.LearningRateSchedule):
            # Keras evaluates schedules at the raw call count (`_iterations`), not at
            # `iterations`, which gradient accumulation divides.
            value = lr(self._calls())
        else:
            value = lr()
        if self._lr_dtype == torch.float32:
            return float(np.float32(float(value)))
        return float(torch.tensor(float(value), dtype=self._lr_dtype))

    @property
    def learning_rate(self):
        """The learning rate: a `kerastorch.Variable` of shape `()` (float32 by default), as in Keras.

        `optimizer.learning_rate.assign(0.01)` (or `optimizer.learning_rate = 0.01`) changes it
        for the next update; `float(...)` or `.numpy()` reads it. With a schedule or a callable,
        it is the learning rate of the next update, a float32 tensor; assign a float or another
        schedule to the attribute to change it.
        """
        lr = self._learning_rate
        if isinstance(lr, torch.Tensor):
            variable = self.__dict__.get("_lr_variable")
            if variable is None:
                variable = _variables.Variable._wrap(self, "_learning_rate", "learning_rate",
                                                     f"{self.name}/learning_rate")
                self._lr_variable = variable
            return variable
        return torch.tensor(self._current_learning_rate(), dtype=self._lr_dtype)

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
        ):
            self._learning_rate = learning_rate
            return
        value = self._check_lr_value(learning_rate)
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__} '{self.name}' was created with a LearningRateSchedule "
                f"({type(self._learning_rate).__name__}) as its learning_rate, so the learning rate "
                f"cannot be set to the number {value!r}. Create the optimizer with a float "
                "learning_rate to make it settable (e.g. for ReduceLROnPlateau), or assign a new "
                "schedule."
            )
        if isinstance(self._learning_rate, torch.Tensor):
            self._learning_rate.fill_(value)
        else:
            self._learning_rate = torch.tensor(value, dtype=self._lr_dtype)

    @property
    def iterations(self):
        """Number of optimizer updates applied, as a Python int.

        With `gradient_accumulation_steps=n`, this is the number of `step()` calls divided
        by `n` (rounded down), as in Keras.
        """
        calls = self._calls()
        if self.gradient_accumulation_steps:
            return calls // self.gradient_accumulation_steps
        return calls

    def _calls(self):
        """`int(self._iterations)`, read from the tensor only when it changed since the last read
        (its version counter moves with every in-place write: the step's `+= 1`, a load, `assign`)."""
        it = self._iterations
        kept = self.__dict__.get("_calls_read")
        if kept is not None and kept[0] is it and kept[1] == it._version:
            return kept[2]
        calls = int(it)
        self.__dict__["_calls_read"] = (it, it._version, calls)
        return calls

    def _count_call(self, calls):
        """`self._iterations += 1` after a step that read `calls`, keeping the read current."""
        it = self._iterations
        it += 1
        self.__dict__["_calls_read"] = (it, it._version, calls + 1)

    # ------------------------------------------------------------------ building

    def build(self, params):
        """Creates the optimizer's variables for `params`, the trainable parameters.

        Args:
            params: List of `torch.nn.Parameter` (or tensors), in model order. Parameters
                may be moved to another device later: the optimizer's state follows them.

        Raises:
            ValueError: if the optimizer was already built for other parameters.
        """
        params = [_variables.stored_tensor(p) for p in params]
        for i, p in enumerate(params):
            if not isinstance(p, torch.Tensor):
                raise TypeError(
                    f"{type(self).__name__}.build() expects a list of kerastorch Variables "
                    "(model.trainable_weights) or torch.nn.Parameters, but "
                    f"item {i} is a {type(p).__name__}: {p!r}."
                )
            if not p.is_floating_point():
                raise ValueError(
                    f"{type(self).__name__}.build(): parameter {i} has dtype {p.dtype}; only "
                    "floating-point parameters can be trained."
                )
        if self.built:
            if len(params) == len(self._params) and all(a is b for a, b in zip(params, self._params)):
                return
            raise ValueError(
                f"{type(self).__name__} '{self.name}' is already built for {len(self._params)} "
                f"other parameter(s); it cannot be rebuilt for a new set of {len(params)}. "
                "Create a new optimizer instance for a new model."
            )
        self._params = params
        self._param_index = {id(p): i for i, p in enumerate(params)}
        self._use_weight_decay = [self._decays(p) for p in params]
        if self.use_ema:
            self._averages = self._add_slots(params, "average")
        if self.gradient_accumulation_steps:
            self._accumulators = self._add_slots(params, "gradient_accumulator")
        self._build_slots(params)
        self._state_device = params[0].device if params else None
        self.built = True
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.load_state_dict(state)

    def _build_slots(self, params):
        """Creates the optimizer's own slot variables (override in subclasses)."""

    def _add_slots(self, params, names, initial_value=0.0):
        """Adds zero-initialised slots like `params`, interleaved per parameter as Keras does.

        Args:
            params: The parameters.
            names: One slot name, or a list of names (one slot each per parameter).
            initial_value: Initial value of every element.

        Returns:
            A list of tensors (one name) or a tuple of lists (several names).
        """
        single = isinstance(names, str)
        names = [names] if single else list(names)
        slots = tuple([] for _ in names)
        self._slot_groups.extend(slots)
        for p in params:
            for i in range(len(names)):
                t = torch.full_like(p, initial_value, memory_format=torch.preserve_format).detach()
                slots[i].append(t)
                self._slot_variables.append(t)
        return slots[0] if single else slots

    def _maybe_move_state(self):
        # The model may be moved (`model.to("cuda")`) after the optimizer is built: the
        # parameters keep their identity, so the state simply follows the first parameter.
        # The slot lists are updated in place, so subclasses' references to them stay valid.
        device = self._params[0].device
        if device == self._state_device:
            return
        moved = {id(t): t.to(device) for t in self._slot_variables}
        for group in [self._slot_variables, *self._slot_groups]:
            group[:] = [moved[id(t)] for t in group]
        self._state_device = device

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

    # ------------------------------------------------------------------ state

    @property
    def variables(self):
        """The optimizer's state tensors, in the order Keras saves them.

        `iteration` (int32), `learning_rate` (float32, absent when it is a schedule or a
        callable), then the EMA averages, the gradient accumulators and the optimizer's own
        slots (interleaved per parameter, e.g. Adam: momentum, velocity of each parameter).
        The tensors are live: writing into them changes the optimizer's state.
        """
        out = [self._iterations]
        if isinstance(self._learning_rate, torch.Tensor):
            out.append(self._learning_rate)
        return out + self._slot_variables + self._extra_variables

    def set_weights(self, weights):
        """Sets `variables` from a list of arrays, in `variables` order."""
        variables = self.variables
        if not self.built:
            raise ValueError(
                f"{type(self).__name__}.set_weights(): the optimizer is not built yet; call "
                "optimizer.build(params) first."
            )
        if len(weights) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.set_weights(): expected {len(variables)} arrays, "
                f"got {len(weights)}."
            )
        with torch.no_grad():
            for i, (v, w) in enumerate(zip(variables, weights)):
                w = torch.as_tensor(np.asarray(w) if not isinstance(w, torch.Tensor) else w)
                if tuple(w.shape) != tuple(v.shape):
                    raise ValueError(
                        f"{type(self).__name__}.set_weights(): variable {i} has shape "
                        f"{tuple(v.shape)}, got an array of shape {tuple(w.shape)}."
                    )
                v.copy_(w)

    def save_own_variables(self, store):
        """Writes `variables` into `store` as numpy arrays under keys `"0"`, `"1"`, ..."""
        for i, v in enumerate(self.variables):
            store[str(i)] = v.detach().cpu().numpy()

    def load_own_variables(self, store):
        """Reads `variables` from `store` (keys `"0"`, `"1"`, ...); warns and skips on a mismatch."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has {len(store.keys())} "
                "variables." + (" The optimizer is not built yet." if not self.built else ""),
                stacklevel=2,
            )
            return
        self.set_weights([store[str(i)] for i in range(len(variables))])

    def state_dict(self):
        """Returns the optimizer's state as a plain dict (safe for `torch.load(weights_only=True)`).

        Keys: `"iterations"` (raw `step()` call count, int), `"learning_rate"` (float, only
        when the learning rate is a plain value) and `"variables"` (list of tensor copies: the
        slots, in `variables` order after `iteration` and `learning_rate`).
        """
        state = {"iterations": int(self._iterations)}
        if isinstance(self._learning_rate, torch.Tensor):
            state["learning_rate"] = float(self._learning_rate)
        state["variables"] = [t.detach().clone() for t in self._slot_variables + self._extra_variables]
        return state

    def load_state_dict(self, state_dict):
        """Restores a `state_dict()`; before `build()`, the state is applied when built."""
        if not isinstance(state_dict, dict) or "iterations" not in state_dict:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict() expects a dict from state_dict(), with "
                f"keys 'iterations', 'variables' (and 'learning_rate'), got {type(state_dict).__name__}"
                + (f" with keys {sorted(state_dict)!r}" if isinstance(state_dict, dict) else "")
                + "."
            )
        if not self.built:
            self._pending_state = state_dict
            return
        slots = self._slot_variables + self._extra_variables
        saved = list(state_dict.get("variables", []))
        if len(saved) != len(slots):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the state holds {len(saved)} slot "
                f"variable(s) but this optimizer has {len(slots)}; it was saved from an optimizer "
                "with other options or other parameters."
            )
        for i, (dst, src) in enumerate(zip(slots, saved)):
            if tuple(dst.shape) != tuple(src.shape):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': slot variable {i} has shape "
                    f"{tuple(dst.shape)} but the state holds shape {tuple(src.shape)}."
                )
        with torch.no_grad():
            for dst, src in zip(slots, saved):
                dst.copy_(src)
            self._iterations.fill_(int(state_dict["iterations"]))
            if "learning_rate" in state_dict and isinstance(self._learning_rate, torch.Tensor):
                self._learning_rate.fill_(float(state_dict["learning_rate"]))

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
