"""`MultiOptimizer` and `OptimizerMap`: different optimizers for different variables, as in Keras."""

import re
from collections.abc import MutableMapping

import torch

from kerastorch.optimizers.base import Optimizer


def _variable_path(variable):
    path = getattr(variable, "path", None)
    if not isinstance(path, str):
        raise ValueError(
            "OptimizerMap looks optimizers up by the variable's `path` (e.g. 'encoder/dense/kernel'), "
            f"but got a {type(variable).__name__} of shape {tuple(variable.shape)} without one. Build "
            "the MultiOptimizer for a model's weights (model.trainable_weights), or give it a callable "
            "that picks an optimizer for any variable."
        )
    return path


class OptimizerMap(MutableMapping):
    """A mapping from variable paths (exact, or regular expressions) to optimizers.

    `optimizer_map[path]` is the optimizer of the key equal to `path`, else of the one key
    that `re.fullmatch`es it, else `default_optimizer`; a path matched by several patterns
    is an error. To cover every weight under a block, use a pattern such as `"encoder/.*"`:
    `"encoder"` matches only that exact path. Calling the map on a variable looks up its
    `path`.

    Args:
        default_optimizer: The kerastorch `Optimizer` of unmatched variables.
        optimizer_map: Optional dict of path or pattern to `Optimizer`. Defaults to `None`.

    Example:
    >>> from kerastorch import optimizers
    >>> adam, sgd = optimizers.Adam(name="adam"), optimizers.SGD(name="sgd")
    >>> m = OptimizerMap(default_optimizer=optimizers.RMSprop(name="rmsprop"))
    >>> m["encoder/.*"] = sgd
    >>> m["decoder"] = adam
    >>> m["decoder"].name, m["encoder/dense/kernel"].name, m["decoder/dense/kernel"].name
    ('adam', 'sgd', 'rmsprop')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "OptimizerMap: `default_optimizer` must be a kerastorch Optimizer, got "
                f"{type(default_optimizer).__name__}: {default_optimizer!r}."
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                "OptimizerMap: `optimizer_map` must be a dict of variable path (or pattern) to "
                f"Optimizer, got {type(optimizer_map).__name__}: {optimizer_map!r}."
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        """The optimizer of variables no key matches."""
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"OptimizerMap: the variable {key!r} matches several patterns ({matching!r}), so it "
                "would have several optimizers. Make the patterns exclusive."
            )
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        from kerastorch.optimizers.loss_scale_optimizer import LossScaleOptimizer

        if key in self._optimizer_map:
            raise ValueError(
                f"OptimizerMap: {key!r} already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]!r}; keys must not be duplicated."
            )
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys must be strings (paths or patterns), got {key!r}.")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                f"OptimizerMap: the optimizer of {key!r} must be a kerastorch Optimizer, got "
                f"{type(optimizer).__name__}: {optimizer!r}."
            )
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("OptimizerMap: an optimizer in the map cannot be a LossScaleOptimizer; wrap "
                             "the MultiOptimizer instead.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("OptimizerMap: an optimizer in the map cannot be a MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[_variable_path(variable)]

    def get_config(self):
        """Keras' config: the serialized default optimizer and map."""
        from kerastorch import optimizers

        return {"default_optimizer": optimizers.serialize(self._default_optimizer),
                "optimizer_map": {k: optimizers.serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the map, deserializing its optimizers."""
        from kerastorch import optimizers

        default = optimizers.deserialize(config["default_optimizer"], custom_objects=custom_objects)
        mapping = {k: optimizers.deserialize(v, custom_objects=custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)

    def __repr__(self):
        return f"OptimizerMap(default_optimizer={self._default_optimizer!r}, {self._optimizer_map!r})"


class MultiOptimizer(Optimizer):
    """An optimizer that hands each variable to one of several optimizers.

    Each variable gets the optimizer `optimizer_map(variable)` names: an `OptimizerMap`
    (looked up by the variable's path) or any callable from a variable to an optimizer
    (it receives `kerastorch.Variable`s when built from `model.trainable_weights`, and the
    torch parameters, which carry Keras' `path`, when `fit` builds it). Optimizers met
    for the first time are added to `optimizers`. A step applies every inner optimizer to
    its variables and counts one `iteration`.

    It has no `learning_rate` of its own: reading or setting it raises `AttributeError`, as
    in Keras (set it on `optimizers[i]`). Its variables are `iteration`, `learning_rate`
    (0, unused), then every inner optimizer's, in the order of `optimizers`.

    Args:
        optimizer_map: An `OptimizerMap`, or a callable `variable -> Optimizer`.
        loss_scale_factor: Float or `None`, set on every inner optimizer (see `Optimizer`).
            Defaults to `None`.
        name: String. Defaults to `"multi_optimizer"` (made unique).

    Example:
    >>> import torch
    >>> from kerastorch import optimizers
    >>> w, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    >>> w.path, b.path = "net/dense/kernel", "net/dense/bias"
    >>> opt = optimizers.MultiOptimizer(optimizers.OptimizerMap(
    ...     optimizers.SGD(learning_rate=0.1), {".*/bias": optimizers.SGD(learning_rate=0.5)}))
    >>> opt.build([w, b])
    >>> w.grad, b.grad = torch.ones(2), torch.ones(2)
    >>> opt.step()
    >>> round(w[0].item(), 4), round(b[0].item(), 4), opt.iterations
    (0.9, 0.5, 1)
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(
                "MultiOptimizer: `optimizer_map` must be an OptimizerMap or a callable taking a "
                f"variable and returning its Optimizer, got {type(optimizer_map).__name__}: "
                f"{optimizer_map!r}."
            )
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        if isinstance(optimizer_map, OptimizerMap):
            for opt in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._add_inner(opt)

    def _add_inner(self, opt):
        if not any(opt is o for o in self._inner_optimizers):
            opt.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(opt)

    @property
    def optimizers(self):
        """The inner optimizers, in the order their variables are saved."""
        return self._inner_optimizers

    @property
    def loss_scale_factor(self):
        """The loss scale factor, shared by every inner optimizer (settable)."""
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in self.__dict__.get("_inner_optimizers", []):
            opt.loss_scale_factor = value

    @property
    def learning_rate(self):
        """Not available: each inner optimizer has its own."""
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on the "
            "individual sub-optimizers instead (multi_optimizer.optimizers[i].learning_rate)."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the individual "
            "sub-optimizers instead (multi_optimizer.optimizers[i].learning_rate = ...)."
        )

    def build(self, params):
        """Assigns every variable to its optimizer and builds each inner optimizer for its own."""
        if self.built:
            return super().build(params)
        variables = list(params)
        groups = {}
        assignment = []
        for variable in variables:
            opt = self._optimizer_map(variable)
            self._check_inner(opt, variable)
            self._add_inner(opt)
            index = next(i for i, o in enumerate(self._inner_optimizers) if o is opt)
            assignment.append(index)
            groups.setdefault(index, []).append(variable)
        super().build(variables)
        self._assignment = assignment   # inner optimizer index of each parameter
        self._local_index = []          # position of each parameter in its optimizer's list
        seen = {}
        for index in assignment:
            self._local_index.append(seen.get(index, 0))
            seen[index] = seen.get(index, 0) + 1
        for index, group in groups.items():
            self._inner_optimizers[index].build(group)

    def _check_inner(self, opt, variable):
        from kerastorch.optimizers.loss_scale_optimizer import LossScaleOptimizer

        where = getattr(variable, "path", None) or f"of shape {tuple(variable.shape)}"
        if not isinstance(opt, Optimizer):
            raise ValueError(f"MultiOptimizer: the optimizer for variable {where} is not a kerastorch "
                             f"Optimizer: got {type(opt).__name__}: {opt!r}.")
        if isinstance(opt, LossScaleOptimizer):
            raise ValueError("LossScaleOptimizer cannot be used inside a MultiOptimizer; wrap the "
                             "MultiOptimizer in it instead.")
        if isinstance(opt, MultiOptimizer):
            raise ValueError("MultiOptimizer cannot be used inside a MultiOptimizer.")

    @property
    def variables(self):
        """`iteration`, `learning_rate`, then each inner optimizer's variables."""
        out = super().variables
        for opt in self._inner_optimizers:
            out = out + opt.variables
        return out

    def state_dict(self):
        """This optimizer's state, with the inner optimizers' under `"inner"` (in order)."""
        state = super().state_dict()
        state["inner"] = [opt.state_dict() for opt in self._inner_optimizers]
        return state

    def load_state_dict(self, state_dict):
        """Restores a `state_dict()` (before `build()`, when built)."""
        if not self.built:
            return super().load_state_dict(state_dict)
        state = dict(state_dict)
        inner = state.pop("inner", None) or []
        if len(inner) != len(self._inner_optimizers):
            raise ValueError(f"MultiOptimizer '{self.name}': the state holds {len(inner)} inner "
                             f"optimizer(s), this optimizer has {len(self._inner_optimizers)}.")
        super().load_state_dict(state)
        for opt, s in zip(self._inner_optimizers, inner):
            opt.load_state_dict(s)

    # ------------------------------------------------------------------ stepping
    @torch.no_grad()
    def step(self, closure=None):
        """Applies each inner optimizer to its variables' `p.grad`, then counts one iteration."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not self.built:
            raise ValueError(f"MultiOptimizer '{self.name}' is not built: call "
                             "optimizer.build(model.trainable_weights) before step().")
        per_opt = {}
        for p, index, local in zip(self._params, self._assignment, self._local_index):
            if p.grad is not None:
                per_opt.setdefault(index, ([], [], []))
                indices, params, grads = per_opt[index]
                indices.append(local)
                params.append(p)
                grads.append(p.grad)
        if self._params and not per_opt:
            raise ValueError(
                f"MultiOptimizer '{self.name}': no gradients provided for any of the "
                f"{len(self._params)} parameter(s) (every p.grad is None). Call loss.backward() "
                "before optimizer.step()."
            )
        for index, (indices, params, grads) in per_opt.items():
            opt = self._inner_optimizers[index]
            opt._maybe_move_state()
            opt._step_on(indices, params, grads)
        self._iterations += 1
        return loss

    def apply(self, grads, trainable_variables=None):
        """Hands each gradient to its variable's optimizer, then counts one iteration.

        Args:
            grads: One gradient (or `None`) per variable.
            trainable_variables: The variables the optimizer was built for (or is built for
                now), in the same order. Defaults to those it was built for.
        """
        from kerastorch import variables as _variables

        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("MultiOptimizer.apply: when passing `grads` without `variables`, the "
                                 "optimizer must already be built: optimizer.build(trainable_variables).")
            trainable_variables = list(self._params)
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._params):
            raise ValueError(
                f"MultiOptimizer.apply: gradients must match the trainable variables one-to-one; got "
                f"{len(grads)} gradients and {len(self._params)} variables."
            )
        per_opt = {}
        for g, v in zip(grads, trainable_variables):
            j = self._param_index.get(id(_variables.stored_tensor(v)))
            if j is None:
                raise ValueError(f"MultiOptimizer.apply: variable {getattr(v, 'path', None) or tuple(v.shape)} "
                                 "is not one the optimizer was built for.")
            per_opt.setdefault(self._assignment[j], ([], []))
            per_opt[self._assignment[j]][0].append(g)
            per_opt[self._assignment[j]][1].append(v)
        for index, (sub_grads, sub_vars) in per_opt.items():
            self._inner_optimizers[index].apply(sub_grads, sub_vars)
        self._iterations += 1

    def finalize_variable_values(self, var_list=None):
        """Each inner optimizer's `finalize_variable_values` for its variables."""
        from kerastorch import variables as _variables

        if not self.built:
            return
        var_list = self._params if var_list is None else list(var_list)
        per_opt = {}
        for v in var_list:
            j = self._param_index.get(id(_variables.stored_tensor(v)))
            if j is not None:
                per_opt.setdefault(self._assignment[j], []).append(v)
        for index, group in per_opt.items():
            self._inner_optimizers[index].finalize_variable_values(group)

    # ------------------------------------------------------------------ config
    def get_config(self):
        """Keras' config: `optimizer_map` (serialized), `loss_scale_factor`, `name`."""
        from kerastorch import optimizers

        return {"optimizer_map": optimizers.serialize(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the optimizer; a function map needs `custom_objects={name: fn}`."""
        from kerastorch import optimizers

        config = dict(config)
        config["optimizer_map"] = optimizers.deserialize(config["optimizer_map"],
                                                         custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        names = ", ".join(o.name for o in self._inner_optimizers)
        return f"<MultiOptimizer name={self.name!r} optimizers=[{names}]>"
