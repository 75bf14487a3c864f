"""`Layer`'s weights: creating them (`add_weight`), listing them as Variables, reading and setting
their values in Keras' layout. Importable from `kerastorch.layers.base` as before."""

import sys

import numpy as np
import torch

from kerastorch import variables as _variables
from kerastorch.layers.calling import _to_torch_dtype


def stored_weight(layer, name):
    """The tensor stored for weight `name` of `layer` (its Parameter or buffer), also where the
    attribute of that name shows the weight's Variable (a user's `self.w = self.add_weight(name="w")`)."""
    value = layer._parameters.get(name)
    if value is None:
        value = layer._buffers.get(name)
        if value is None:
            value = getattr(layer, name)
            if value.__class__ is _variables.Variable:
                value = value._stored()
    return value


def _unique(items, key=id):
    """`items` without repeats (the first of each kept), as Keras deduplicates a layer's weights:
    a layer held by two parents lists its weights once."""
    seen = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


class LayerWeights:
    """The weights part of `Layer` (mixed into it): `add_weight`, `weights` and their trainable /
    non-trainable views, `get_weights`/`set_weights`, `count_params`, `trainable`, and the
    regularization penalties and constraints of the weights."""

    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, layout=None):
        """Creates a weight of the given Keras-layout shape and registers it on the module.

        Trainable weights become `torch.nn.Parameter`s, others buffers (like BatchNorm's
        moving statistics). `get_weights()` returns weights in the order they were added.

        Args:
            shape: Tuple of ints, in Keras' layout (Dense kernel `(in, out)`).
            initializer: Initializer name, object or callable `(shape, dtype) -> tensor`.
                Defaults to `"glorot_uniform"`.
            dtype: Dtype of the weight. Defaults to the layer's `variable_dtype` (from its
                dtype policy: `floatx()` unless the layer or the global policy says otherwise).
            trainable: Whether the optimizer updates it. Defaults to `True`.
            regularizer: Optional regularizer; its penalty is added to the training loss.
            constraint: Optional constraint, applied after each optimizer step.
            name: Attribute name of the weight (unique within the layer).
            layout: Optional pair `(to_internal, to_keras)` of functions mapping the
                Keras-layout tensor to the stored one and back, for layers that store a
                weight in a faster torch layout.

        Returns:
            The weight's `kerastorch.Variable` (the one `layer.weights` lists), as Keras'
            `add_weight` returns it: `self.w = self.add_weight(...)` then `self.w.assign(...)`,
            `ops.matmul(x, self.w)`. (kerastorch's own layers get the stored tensor.)

        Raises:
            ValueError: once the layer is built (its state is locked, as in Keras): create weights
                in `__init__` or `build`.
        """
        from kerastorch import initializers, regularizers, constraints

        from kerastorch.layers.tracking import check_unlocked

        check_unlocked(self)      # built: Keras' `_lock_state` (see `Layer`)
        shape = tuple(int(d) for d in (shape or ()))
        keras_name = name
        if name is None:
            # Stored (state_dict) as variable_<index>, the same in every instance; the Variable has
            # Keras' auto name, counted across variables ("variable", "variable_1", ...).
            name = f"variable_{len(self._keras_weights)}"
            keras_name = _variables._auto_name()
            self.__dict__.setdefault("_kt_weight_names", {})[name] = keras_name
        if name in self._keras_weights:
            raise ValueError(f"Layer '{self.name}': a weight named {name!r} already exists.")
        init = initializers.get(initializer)
        dtype = self._dtype_policy.variable_dtype if dtype is None else dtype
        torch_dtype = _to_torch_dtype(dtype)
        value = torch.as_tensor(init(shape, dtype=dtype))
        if value.dtype != torch_dtype:    # an initializer that ignores `dtype` (a lambda, a tensor)
            value = value.to(torch_dtype)
        if layout is not None:
            value = layout[0](value)
            self._weight_layouts[name] = layout
        value = value.contiguous()
        path = _variables.weight_path(self, keras_name)   # Keras' path: enclosing models' names first
        self.__dict__.setdefault("_kt_weight_paths", {})[name] = path
        if trainable:
            param = torch.nn.Parameter(value, requires_grad=self._trainable)
            self.register_parameter(name, param)   # which attaches its layout and path (see _link_parameter)
        else:
            self.register_buffer(name, value)
        self._list_weight(name, trainable)
        if regularizer is not None:
            self._regularizers[name] = regularizers.get(regularizer)
        if constraint is not None:
            self._constraints[name] = constraints.get(constraint)
        if sys._getframe(1).f_globals.get("__name__", "").startswith("kerastorch."):
            return getattr(self, name)      # kerastorch's own layers: the raw tensor, their fast path
        return _variables.layer_variable(self, name)

    def register_parameter(self, name, param):
        """torch's `register_parameter`; a weight stored in another layout is made known to the
        axis-aware optimizers too (`kerastorch.optimizers._layouts`), also when its Parameter is
        replaced (`load_state_dict(assign=True)`, `layer.kernel = Parameter(...)`)."""
        super().register_parameter(name, param)
        if param is not None:
            self._link_parameter(name, param)

    def _link_parameter(self, name, param):
        """What Parameter `param` (weight `name`) carries for the optimizers: its layout (see
        `kerastorch.optimizers._layouts`), and its Keras `path` (read by `exclude_from_weight_decay`
        and Muon's exclusions) where the Parameter object is new and lacks it."""
        layout = self.__dict__.get("_weight_layouts", {}).get(name)
        if layout is not None:
            from kerastorch.optimizers import _layouts

            _layouts.register(param, layout)
        if "path" not in param.__dict__:
            path = self.__dict__.get("_kt_weight_paths", {}).get(name)
            if path is not None:
                param.path = path

    def _relink_parameters(self):
        """`_link_parameter` for each of the layer's own Parameters: after a copy, a pickle round
        trip, `_apply` (`to()`, `double()`, ...) or `load_state_dict`, which may leave the layer
        with new Parameter objects (a registry keyed by identity knows only the old ones, and
        torch's `Parameter.__deepcopy__` and `swap_tensors` drop their attributes)."""
        for name, param in self._parameters.items():
            if param is not None:
                self._link_parameter(name, param)

    def __setstate__(self, state):
        # `copy.deepcopy` and `pickle.loads` both end here, with the copied Parameters.
        super().__setstate__(state)
        self._relink_parameters()

    def _apply(self, fn, *args, **kwargs):
        # torch may swap in new Parameters (`torch.__future__.set_overwrite_module_params_on_conversion`)
        # or swap their `__dict__` away (`set_swap_module_params_on_conversion`).
        out = super()._apply(fn, *args, **kwargs)
        self._relink_parameters()
        return out

    def _load_from_state_dict(self, *args, **kwargs):
        # `assign=True` sets new Parameters (through register_parameter); swapping tensors keeps
        # the objects but swaps their attributes away.
        super()._load_from_state_dict(*args, **kwargs)
        self._relink_parameters()

    def _list_weight(self, name, trainable):
        """Lists weight `name` in Keras' order: the trainable ones first, then the others, each in
        the order they were made (Keras keeps a layer's trainable and non-trainable variables apart)."""
        names = self._keras_weights
        if trainable:
            for i, other in enumerate(names):
                if not isinstance(stored_weight(self, other), torch.nn.Parameter):
                    names.insert(i, name)
                    return
        names.append(name)

    def _track_variable_attribute(self, attr, variable):
        """`self.<attr> = kerastorch.Variable(...)` in a layer: the Variable becomes a weight of it.

        As Keras tracks a Variable set as a layer's attribute: it is listed in `weights` (and
        `trainable_weights` or `non_trainable_weights`, by its `trainable`), saved in the weights
        file, trained by the optimizer. Its tensor is registered on the layer under `attr` (a
        Parameter if trainable, else a buffer, as `add_weight` does), so torch's `state_dict()` and
        `parameters()` hold it too; the attribute stays this Variable, now reading the layer's tensor.
        """
        key, n = attr, 0
        while key in self._parameters or key in self._buffers or key in self._keras_weights:
            n += 1
            key = f"{attr}_{n}"
        caller = sys._getframe(2)      # the user's code that set the attribute (through __setattr__)
        if caller.f_code.co_name == "build" and caller.f_locals.get("self") is self:
            # Made in this layer's build: Keras' path names the layer (its build runs in its name
            # scope), also when the build was called directly (`self.inner.build(shape)`).
            variable._path = _variables.weight_path(self, variable.name)
        self._adopt_variable(key, variable)
        self.__dict__[attr] = variable

    def _track_container_variable(self, where, variable):
        """A user's Variable in a list, tuple or dict set on the layer (at `where`, e.g. `ws[0]`,
        `d[a]`): a weight of the layer, as Keras' Tracker makes it one (see `_adopt_variable`).
        torch holds its tensor under the key `where` (`state_dict()["ws[0]"]`)."""
        self._adopt_variable(self._free_key(where), variable)

    def _free_key(self, key):
        """`key`, or `key_1`, `key_2`, ... : a name no weight, module or attribute of the layer has."""
        base, n = key, 0
        while (key in self._parameters or key in self._buffers or key in self._keras_weights
               or key in self._modules or key in self.__dict__ or hasattr(type(self), key)):
            n += 1
            key = f"{base}_{n}"
        return key

    def _adopt_variable(self, key, variable):
        """Makes the user's standalone `variable` weight `key` of the layer, listed in Keras' order
        (the trainable ones first): its tensor is registered on the layer (a Parameter if trainable,
        else a buffer), its regularizer and constraint are the layer's, and the Variable reads the
        layer's tensor from now on."""
        stored = variable._stored()
        trainable = isinstance(stored, torch.nn.Parameter) and stored.requires_grad
        data = stored.detach()
        if trainable:
            param = torch.nn.Parameter(data, requires_grad=self._trainable)
            param.path = variable.path   # read by exclude_from_weight_decay
            self.register_parameter(key, param)
        else:
            self.register_buffer(key, data)
        self._list_weight(key, trainable)
        if key != variable.name:
            self.__dict__.setdefault("_kt_weight_names", {})[key] = variable.name
        self.__dict__.setdefault("_kt_weight_paths", {})[key] = variable.path
        if variable._regularizer is not None:
            self._regularizers[key] = variable._regularizer
        if variable._constraint is not None:
            self._constraints[key] = variable._constraint
        variable.__dict__.pop("_param", None)
        variable._owner, variable._attr = self, key
        self.__dict__.setdefault("_kt_variables", {})[key] = variable   # layer.weights lists this Variable

    def _untrack_variable(self, variable):
        """Keras' `_untrack_variable`: `variable` (a weight of this layer) is no longer one.

        It leaves `weights`, the weights file and torch's registries, and becomes a standalone
        Variable again, keeping its value, regularizer and constraint. (`del self.v`, `pop`,
        `remove` or `clear` of a tracked container.)
        """
        key = variable._attr
        if self.__dict__.get("_kt_variables", {}).get(key) is not variable:
            return
        stored = self._parameters.pop(key, None)
        if stored is None:
            stored = self._buffers.pop(key)
        trainable = isinstance(stored, torch.nn.Parameter) and stored.requires_grad
        value = self._weight_layouts.pop(key, (None, None))[1]
        value = (stored if value is None else value(stored)).detach()
        self._keras_weights.remove(key)
        for registry in ("_kt_weight_names", "_kt_weight_paths", "_kt_variables"):
            self.__dict__.get(registry, {}).pop(key, None)
        variable._regularizer = self._regularizers.pop(key, None)
        variable._constraint = self._constraints.pop(key, None)
        variable._param = torch.nn.Parameter(value, requires_grad=trainable)
        variable._owner, variable._attr = variable, "_param"

    def _rename_weight(self, key):
        """Stores weight `key` under a new key (`key~1`), in the same place of torch's registries,
        so that attribute `key` can be set to something else while the weight stays the layer's
        (Keras keeps a Variable tracked when its attribute is reassigned)."""
        new, n = f"{key}~1", 1
        while new in self._parameters or new in self._buffers or new in self._keras_weights:
            n += 1
            new = f"{key}~{n}"
        for registry in (self._parameters, self._buffers):
            if key in registry:
                items = [(new if k == key else k, v) for k, v in registry.items()]
                registry.clear()
                registry.update(items)
        self._keras_weights[self._keras_weights.index(key)] = new
        names = self.__dict__.setdefault("_kt_weight_names", {})
        names[new] = names.pop(key, key)
        for registry in (self.__dict__.get("_kt_weight_paths", {}), self.__dict__.get("_kt_variables", {}),
                         self._weight_layouts, self._regularizers, self._constraints):
            if key in registry:
                registry[new] = registry.pop(key)
        variable = self.__dict__.get("_kt_variables", {}).get(new)
        if variable is not None:
            variable._attr = new

    def _keras_value(self, name):
        """The weight `name` as a tensor in Keras' layout (a view where possible)."""
        value = stored_weight(self, name)
        layout = self._weight_layouts.get(name)
        return layout[1](value) if layout else value

    @property
    def weights(self):
        """All weights of the layer (and its sublayers) as `kerastorch.Variable`s, in Keras' order.

        Each Variable's `value` is in Keras' layout, whatever layout the weight is stored in.
        """
        out = [_variables.layer_variable(self, n) for n in self._keras_weights]
        for child in self._sublayers():
            out.extend(child.weights)
        return _unique(out)

    @property
    def trainable_weights(self):
        """The Variables the optimizer updates, in Keras' order."""
        if not self.trainable:
            return []
        out = []
        for n in self._keras_weights:
            value = stored_weight(self, n)
            if isinstance(value, torch.nn.Parameter) and value.requires_grad:
                out.append(_variables.layer_variable(self, n))
        for child in self._sublayers():
            out.extend(child.trainable_weights)
        return _unique(out)

    @property
    def non_trainable_weights(self):
        """The Variables the optimizer does not update (frozen ones and moving statistics)."""
        if not self.trainable:
            return self.weights
        out = []
        for n in self._keras_weights:
            value = stored_weight(self, n)
            if not (isinstance(value, torch.nn.Parameter) and value.requires_grad):
                out.append(_variables.layer_variable(self, n))
        for child in self._sublayers():
            out.extend(child.non_trainable_weights)
        return _unique(out)

    @property
    def variables(self):
        """All the layer's Variables (Keras: weights plus non-weight state; here the weights)."""
        return self.weights

    @property
    def trainable_variables(self):
        """The trainable Variables (`trainable_weights`)."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """The non-trainable Variables (`non_trainable_weights`)."""
        return self.non_trainable_weights

    def _weight_slots(self):
        """(layer, name) pairs for every Keras weight, sublayers included, in Keras' order."""
        slots = [(self, n) for n in self._keras_weights]
        for child in self._sublayers():
            slots.extend(child._weight_slots())
        return _unique(slots, key=lambda slot: (id(slot[0]), slot[1]))

    def get_weights(self):
        """Returns the weights as a list of numpy arrays, in Keras' layout and order.

        Example:
        >>> from kerastorch import layers
        >>> layer = layers.Dense(4)
        >>> layer.build((None, 3))
        >>> tuple(w.shape for w in layer.get_weights())
        ((3, 4), (4,))
        """
        return [owner._keras_value(n).detach().cpu().numpy().copy() for owner, n in self._weight_slots()]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in Keras' layout and order (`get_weights()`'s).

        Args:
            weights: List of numpy arrays (or tensors), one per weight.

        Raises:
            ValueError: if the count or a shape does not match; no weight is changed then.
        """
        slots = self._weight_slots()
        weights = list(weights)
        if len(weights) != len(slots):
            names = [f"{layer.name}/{n}" for layer, n in slots]
            raise ValueError(
                f"Layer '{self.name}' expects {len(slots)} weight arrays ({', '.join(names) or 'none'}), "
                f"got {len(weights)}. Pass the list returned by get_weights() of a layer of the same "
                "configuration." + ("" if self.built else " The layer is not built yet: call "
                                    "layer.build(input_shape) or run it on data first.")
            )
        converted = []
        for (layer, n), value in zip(slots, weights):
            current = layer._keras_value(n)
            arr = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
            if tuple(arr.shape) != tuple(current.shape):
                raise ValueError(
                    f"Layer '{layer.name}', weight '{n}': expected shape {tuple(current.shape)} "
                    f"(Keras layout), got {tuple(arr.shape)}. No weight was changed."
                )
            converted.append((layer, n, arr))
        with torch.no_grad():
            for layer, n, arr in converted:
                stored = stored_weight(layer, n)
                layout = layer._weight_layouts.get(n)
                value = layout[0](arr) if layout else arr
                stored.copy_(value.to(dtype=stored.dtype, device=stored.device))

    def count_params(self):
        """Returns the number of scalars in the layer's weights.

        Raises:
            ValueError: if the layer is not built yet (its weights do not exist).
        """
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so its weights do not exist. "
                "Call layer.build(input_shape), or give the model an input shape first."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ------------------------------------------------------------------ trainable
    @property
    def trainable(self):
        """Whether the optimizer updates this layer's weights. Setting it to `False` freezes them."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for p in self.parameters():
            p.requires_grad_(self._trainable)
        for child in self._sublayers():
            child.trainable = value

    def _weight_regularization_losses(self):
        if not self.trainable:
            return []
        out = [reg(self._keras_value(n)) for n, reg in self._regularizers.items()
               if getattr(stored_weight(self, n), "requires_grad", False)]
        for child in self._sublayers():
            out.extend(child._weight_regularization_losses())
        return out

    def _apply_constraints(self):
        with torch.no_grad():
            for n, constraint in self._constraints.items():
                stored = stored_weight(self, n)
                layout = self._weight_layouts.get(n)
                value = constraint(self._keras_value(n))
                stored.copy_(layout[0](value) if layout else value)
