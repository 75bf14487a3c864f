"""`Optimizer`'s variables: building its slots, and reading, writing and saving its state
(a mixin of `kerastorch.optimizers.base.Optimizer`).

The mixin has no `__init__`: `Optimizer.__init__` creates the (empty) lists of slots, averages
and accumulators that `build` fills.
"""

import warnings

import numpy as np
import torch

from kerastorch import variables as _variables


class _StateMixin:
    """Slot variables (built per parameter, moved with the parameters) and the saved state of `Optimizer`."""

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
