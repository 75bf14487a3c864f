"""Keras 3's weights HDF5 layout (`.weights.h5`, and `model.weights.h5` inside `.keras`).

The tree (KERAS-FACTS 3.3):

    layers/<snake_class>[_<n>]/vars/0, 1, ...     # group name from the class and a per-class
    layers/lstm/cell/vars/...                      # counter in container order, NOT layer.name
    vars/                                          # the model's own (none for Sequential)
    optimizer/vars/0 iteration, 1 learning_rate, 2... slots

Reading validates every group, count and shape first and assigns only when all match, so a
bad file leaves the model unchanged.
"""

import contextlib
import re
import threading

import numpy as np
import torch

from kerastorch.variables import stored_tensor

_HOLDER = "_kt_tracked_"     # layers.tracking's holders of the layers in a list or dict attribute
_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")


def _snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def container_keys(layers):
    """Keras' group names for a list of layers: snake-case class name plus a per-class counter.

    Example:
    >>> from kerastorch import layers
    >>> container_keys([layers.Dense(1, name="a"), layers.Dropout(0.1), layers.Dense(1, name="b")])
    ['dense', 'dropout', 'dense_1']
    """
    used, keys = {}, []
    for layer in layers:
        name = _snake(type(layer).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        keys.append(name)
    return keys


class _WalkState:
    def __init__(self):
        self.visited = set()      # id of each layer reached
        self.owners = {}          # id(a layer's own `vars` slots list) -> (layer, slots)


_WALK = threading.local()


@contextlib.contextmanager
def _walk():
    """One saving walk over a model: a layer reached twice is written (and read) once, where it is
    first reached, as Keras' `visited_saveables`. Nested calls join the walk already open."""
    state = getattr(_WALK, "state", None)
    if state is not None:
        yield state
        return
    _WALK.state = state = _WalkState()
    try:
        yield state
    finally:
        _WALK.state = None


def weights_tree(model):
    """The HDF5 groups of `model`'s weights and, by the id of each `vars` slot list, its layer.

    Returns:
        `(tree, owners)`: `tree` as `layer_tree` gives it (each layer once, where Keras' saving
        walk first reaches it); `owners` maps `id(slots)` of a layer's own `vars` entry to the layer.

    Example:
    >>> from kerastorch import layers, Sequential
    >>> shared = layers.Dense(2)
    >>> model = Sequential([layers.Input((2,)), shared])
    >>> [path for path, _ in weights_tree(model)[0]]
    ['vars', 'layers/dense/vars']
    """
    with _walk() as walk:
        tree = layer_tree(model)
        return tree, {key: layer for key, (layer, _) in walk.owners.items()}


def layer_tree(layer):
    """The Keras HDF5 sub-paths of a layer's weights: a list of `(path, [(owner, weight_name), ...])`.

    A layer may define `_keras_h5_tree()` returning the same structure to override the rule:
    own weights under `vars`; each sublayer under the attribute name it is registered with, in
    Keras' order (attribute names sorted, private ones last; layers in lists and dicts under
    `<attribute>/<snake_class>[_<n>]`); a nested Sequential's layers under `layers/<key>`;
    recurrent layers that keep their weights themselves (no `cell` sublayer) under `cell/vars`,
    where Keras keeps them. Within one walk (`weights_tree`) a layer already reached gives no group.
    """
    with _walk() as walk:
        if id(layer) in walk.visited:
            return []
        walk.visited.add(id(layer))
        tree = _layer_tree(layer)
        for path, slots in tree:
            if path == "vars":
                walk.owners.setdefault(id(slots), (layer, slots))
                break
        return tree


def _layer_tree(layer):
    custom = getattr(layer, "_keras_h5_tree", None)
    if custom is not None:
        return custom()
    from kerastorch.layers.base import Layer

    if hasattr(layer, "_stack"):
        return model_tree(layer)
    own = [(layer, n) for n in layer._keras_weights]
    if hasattr(layer, "module") and not isinstance(getattr(layer, "module"), Layer) and \
            isinstance(getattr(layer, "module"), torch.nn.Module):
        # TorchModuleWrapper (or Model(module)): its tensors, in its own layout.
        return [("vars", list(layer._weight_slots()))]
    children = {key for key, m in layer._modules.items() if isinstance(m, Layer) and not key.startswith(_HOLDER)}
    if type(layer).__name__ in _RECURRENT and own and "cell" not in children:
        tree = [("vars", []), ("cell/vars", own)]
    else:
        tree = [("vars", own)]
    from kerastorch.models._subclassed import _name_key, _Walk

    names = children | {k for k in layer.__dict__ if f"{_HOLDER}{k}" in layer._modules}
    sub = _Walk()       # Keras' order: attributes sorted, private ones last; containers by class keys
    for name in sorted(names, key=_name_key):
        sub.attribute(name, layer._modules[name] if name in children else layer.__dict__[name])
    return tree + sub.tree


def model_tree(model):
    """The HDF5 paths of a Sequential's weights, `layers/<key>/...` plus the model's own `vars`."""
    with _walk() as walk:
        walk.visited.add(id(model))
        tree = [("vars", [])]
        walk.owners.setdefault(id(tree[0][1]), (model, tree[0][1]))
        for key, layer in zip(container_keys(model.layers), model.layers):
            tree.extend((f"layers/{key}/{path}", slots) for path, slots in layer_tree(layer))
        return tree


def _slot_value(owner, name):
    return owner._keras_value(name)


def _slot_label(owner, name):
    return f"{getattr(owner, 'name', '?')}/{name}"


def write_model(h5, model, include_optimizer=True):
    """Writes `model`'s weights (and its optimizer's variables) into the open h5py file `h5`."""
    tree, owners = weights_tree(model)
    names = _owner_names(model)
    for path, slots in tree:
        group = h5.require_group(path)
        owner = owners.get(id(slots))
        group.attrs["name"] = owner.name if owner is not None else names.get(path.rsplit("/vars", 1)[0], model.name)
        for i, (owner, n) in enumerate(slots):
            group.create_dataset(str(i), data=_slot_value(owner, n).detach().cpu().numpy())
    if include_optimizer:
        opt_vars = optimizer_variables(model)
        if opt_vars is not None:
            group = h5.require_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            for i, value in enumerate(opt_vars):
                group.create_dataset(str(i), data=value)
            # Keras also saves each optimizer a LossScaleOptimizer or MultiOptimizer wraps in
            # its own group (optimizer/inner_optimizer/vars, optimizer/optimizers/adam/vars).
            for path, inner in nested_optimizers(model.optimizer):
                group = h5.require_group(f"{path}/vars")
                group.attrs["name"] = inner.name
                for i, value in enumerate(_optimizer_values(model, inner)):
                    group.create_dataset(str(i), data=value)


def _owner_names(model):
    names = {}
    if hasattr(model, "_stack"):
        for key, layer in zip(container_keys(model.layers), model.layers):
            names[f"layers/{key}"] = layer.name
            names[f"layers/{key}/cell"] = layer.name
    return names


def _vars_keys(group, where):
    keys = list(group.keys())
    # Exactly 0..n-1 (h5py lists '0, 1, 10, 2'): a '-1' or a gap would shift every weight after it.
    if sorted(keys) != sorted(str(i) for i in range(len(keys))):
        raise ValueError(f"{where}: expected datasets named 0, 1, 2, ..., found {keys}.")
    return sorted(keys, key=int)


def read_model(h5, model, filename, skip_mismatch=False, include_optimizer=True):
    """Reads weights from the open h5py file `h5` into `model`, all-or-nothing.

    See `_read_model`. A damaged file makes h5py raise RuntimeError, KeyError, OSError or
    ValueError from deep inside; those become one ValueError naming the file. Everything is
    read before anything is assigned, so the model is unchanged then.
    """
    try:
        return _read_model(h5, model, filename, skip_mismatch, include_optimizer)
    except (RuntimeError, KeyError, OSError, ValueError, TypeError) as e:
        if isinstance(e, ValueError) and str(filename) in str(e):
            raise
        raise ValueError(f"{filename}: cannot read the weights; the file is damaged (corrupted or "
                         f"truncated?): {type(e).__name__}: {e}. No weight was changed.") from e


def _read_model(h5, model, filename, skip_mismatch=False, include_optimizer=True):
    """Reads weights from the open h5py file `h5` into `model`, all-or-nothing.

    Args:
        h5: An open h5py File (Keras 3 layout).
        model: The kerastorch model.
        filename: The file's name, for messages.
        skip_mismatch: Whether to skip layers whose weights do not match (with a warning)
            instead of raising. Defaults to `False`.
        include_optimizer: Whether to restore `optimizer/vars` when present and the model
            is compiled. Defaults to `True`.

    Raises:
        ValueError: naming the file, the layer and weight, what was expected and what was
            found, when the file does not match the model; the model is unchanged then.
    """
    import warnings

    tree, owners = weights_tree(model)
    needed = sorted({p.split("/")[0] for p, slots in tree if slots} - set(h5.keys()))
    if needed:
        raise ValueError(
            f"{filename}: expected a Keras 3 weights file with the group(s) {needed}, found top-level "
            f"keys {sorted(h5.keys())}. A Keras 2 (legacy) weights file is read with "
            "load_weights('....h5'); a .keras archive with load_model()."
        )
    expected_groups = {p.split("/")[1] for p, _ in tree if p.startswith("layers/")}
    found_groups = set(h5["layers"].keys()) if "layers" in h5 else set()
    extra = sorted(found_groups - expected_groups)
    missing = sorted(g for g in expected_groups - found_groups
                     if any(s for p, s in tree if p.startswith(f"layers/{g}/")))
    if (extra or missing) and not skip_mismatch:
        raise ValueError(
            f"{filename}: the file does not hold weights of this model. The model's layers are "
            f"stored as {sorted(expected_groups)}, the file holds {sorted(found_groups)}"
            + (f" (missing: {missing}" if missing else " (")
            + (f"{'; ' if missing else ''}not in the model: {extra})" if extra else ")")
            + ". Groups are named after each layer's class and position, not its name: load weights "
            "saved from a model with the same layers in the same order. No weight was changed."
        )
    plan, problems = [], []
    for path, slots in tree:
        where = f"{filename}, group '{path}'"
        if not slots:
            message = _unexpected_weights(h5, path, owners.get(id(slots)), where)
            if message:
                problems.append((path, message))
            continue
        if path not in h5:
            problems.append((path, f"{where}: missing; expected {len(slots)} weight(s) "
                                   f"{[_slot_label(o, n) for o, n in slots]}."))
            continue
        group = h5[path]
        keys = _vars_keys(group, where)
        if len(keys) != len(slots):
            problems.append((path, f"{where}: expected {len(slots)} weight(s) "
                                   f"({', '.join(_slot_label(o, n) for o, n in slots)}), found {len(keys)}."))
            continue
        layer_plan, ok = [], True
        for key, (owner, n) in zip(keys, slots):
            arr = np.asarray(group[key])
            want = tuple(_slot_value(owner, n).shape)
            if arr.dtype.kind not in "biuf":
                problems.append((path, f"{where}: weight '{_slot_label(owner, n)}' expected numbers, "
                                       f"found a dataset of dtype {arr.dtype}."))
                ok = False
                break
            if tuple(arr.shape) != want:
                problems.append((path, f"{where}: weight '{_slot_label(owner, n)}' expected shape "
                                       f"{want} (Keras layout), found {tuple(arr.shape)}."))
                ok = False
                break
            layer_plan.append((owner, n, arr))
        if ok:
            plan.append((path, layer_plan))
    if problems:
        if not skip_mismatch:
            raise ValueError("\n".join(m for _, m in problems)
                             + "\nThe file does not match the model; no weight was changed.")
        for _, message in problems:
            warnings.warn(f"Skipping: {message}", stacklevel=3)
    opt_plan = None
    if include_optimizer and "optimizer/vars" in h5 and getattr(model, "optimizer", None) is not None:
        opt_plan = _plan_optimizer(h5["optimizer/vars"], model, filename)
    for _, layer_plan in plan:
        assign(layer_plan)
    if opt_plan is not None:
        opt_plan()


def _unexpected_weights(h5, path, layer, where):
    """The message when the file holds weights at `path` where the model has none, else `None`.

    Keras refuses such a file (`Layer._check_load_own_variables`): most often the layer was never
    built, because its parent's `build()` does not build it. A layer loading its own state
    (`load_own_variables`, the lookup layers) is read by `layer_state` instead.
    """
    group = h5.get(path)
    if group is None or layer is not None and hasattr(layer, "load_own_variables"):
        return None
    count = sum(1 for key in group.keys() if key.isdigit())
    if not count:
        return None
    label = f"Layer '{layer.name}' ({type(layer).__name__})" if layer is not None else "The layer"
    if layer is not None and not layer.built:
        return (f"{where}: {label} was never built and thus it doesn't have any variables. However the "
                f"weights file lists {count} variables for this layer. Most often its parent layer "
                "implements build() without building this child (a build() must create ALL the state "
                "of the layer, its children's included), or the layer needs build_from_config() (and "
                "get_build_config()) to be rebuilt when loaded.")
    return f"{where}: {label} expected 0 variables, but the weights file lists {count} for it."


def assign(plan):
    """Copies Keras-layout arrays into their weights: `plan` is a list of `(owner, name, array)`."""
    with torch.no_grad():
        for owner, n, arr in plan:
            if not hasattr(owner, "_weight_layouts") or not hasattr(owner, "_keras_weights"):
                # _SlotProxy of a wrapped torch module: the tensor itself.
                owner.value.copy_(torch.as_tensor(arr).to(owner.value.dtype))
                continue
            stored = stored_tensor(getattr(owner, n))     # the Parameter under a user's Variable attribute
            layout = owner._weight_layouts.get(n)
            value = torch.as_tensor(np.array(arr, copy=True))    # keeps 0-d arrays 0-d
            value = layout[0](value) if layout else value
            stored.copy_(value.to(dtype=stored.dtype, device=stored.device))


# --------------------------------------------------------------------------- optimizer
def _layout_of_params(model):
    """id(parameter) -> (to_internal, to_keras) for parameters stored in a non-Keras layout."""
    out = {}
    for owner, n in model._weight_slots():
        layouts = getattr(owner, "_weight_layouts", {})
        if n in layouts:
            out[id(stored_tensor(getattr(owner, n)))] = layouts[n]
    return out


def _check_param_order(model, opt):
    """Warns when the optimizer's parameters are not in Keras' trainable-weight order.

    Keras stores slots in `model.trainable_weights` order; kerastorch builds the optimizer on
    `model.parameters()`. They agree for every built-in layer; a custom layer registering its
    parameters in another order than `add_weight` would make the saved slots' order differ.
    """
    import warnings

    keras_order = [id(stored_tensor(getattr(o, n))) for o, n in model._weight_slots()
                   if isinstance(stored_tensor(getattr(o, n, None)), torch.nn.Parameter)]
    ours = [id(p) for p in opt._params]
    if [i for i in keras_order if i in set(ours)] != ours:
        warnings.warn(f"Model '{model.name}': the optimizer's variables are not in Keras' weight order; "
                      "its saved state may not match real Keras' order.", stacklevel=4)


def nested_optimizers(opt, prefix="optimizer"):
    """`(group path, optimizer)` for the optimizers `opt` wraps, in the order Keras saves them.

    A LossScaleOptimizer's `inner_optimizer`; a MultiOptimizer's `optimizers`, each named by
    its snake-case class name, made unique (`adam`, `sgd`, `sgd_1`), as Keras' saving does.
    """
    from kerastorch.optimizers.base import _to_snake_case

    out = []
    inner = getattr(opt, "inner_optimizer", None)
    if inner is not None:
        path = f"{prefix}/inner_optimizer"
        out += [(path, inner)] + nested_optimizers(inner, path)
    used = {}
    for sub in getattr(opt, "optimizers", None) or []:
        name = _to_snake_case(type(sub).__name__)
        count = used.get(name)
        used[name] = 0 if count is None else count + 1
        path = f"{prefix}/optimizers/{name if count is None else f'{name}_{count + 1}'}"
        out += [(path, sub)] + nested_optimizers(sub, path)
    return out


def _slot_owners(opt):
    """id(slot) -> the parameter whose layout the slot is stored in, wrapped optimizers included."""
    owners = {}
    for o in [opt] + [inner for _, inner in nested_optimizers(opt)]:
        for group in o._slot_groups:
            for i, t in enumerate(group):
                if i < len(o._params):
                    owners[id(t)] = o._params[i]
        pairs = getattr(o, "_slots_with_owners", None)
        if pairs is not None:   # slots not aligned with the parameters (Muon's velocities)
            owners.update((id(t), p) for t, p in pairs())
    return owners


def optimizer_variables(model):
    """The optimizer's variables as numpy arrays in Keras' order and layout, or `None`.

    `None` when the model has no kerastorch optimizer or it is not built (Keras writes no
    optimizer group then either).
    """
    from kerastorch.optimizers import Optimizer

    opt = getattr(model, "optimizer", None)
    if not isinstance(opt, Optimizer) or not opt.built:
        return None
    _check_param_order(model, opt)
    return _optimizer_values(model, opt)


def _optimizer_values(model, opt):
    """`opt.variables` as numpy arrays, the slots of torch-layout weights in Keras' layout."""
    layouts = _layout_of_params(model)
    owners = _slot_owners(opt)
    out = []
    for v in opt.variables:
        owner = owners.get(id(v))
        layout = layouts.get(id(owner)) if owner is not None else None
        value = layout[1](v) if layout else v
        out.append(value.detach().cpu().numpy())
    return out


def ensure_optimizer_built(model):
    """Builds a compiled model's optimizer for its trainable weights (as Keras does on load)."""
    from kerastorch.optimizers import Optimizer

    opt = getattr(model, "optimizer", None)
    if isinstance(opt, Optimizer) and not opt.built and model.built:
        model._build_optimizer()
    return isinstance(opt, Optimizer) and opt.built


def _plan_optimizer(group, model, filename):
    """Validates the stored optimizer variables; returns a function that assigns them."""
    import warnings

    if not ensure_optimizer_built(model):
        return None
    opt = model.optimizer
    keys = _vars_keys(group, f"{filename}, group 'optimizer/vars'")
    variables = opt.variables
    if len(keys) != len(variables):
        warnings.warn(
            f"{filename}: skipping the optimizer state: the file holds {len(keys)} optimizer "
            f"variables, optimizer '{opt.name}' ({type(opt).__name__}) has {len(variables)}. It was "
            "saved with another optimizer or options; training restarts the optimizer from scratch.",
            stacklevel=4)
        return None
    layouts = _layout_of_params(model)
    owners = _slot_owners(opt)
    values = []
    for i, (key, v) in enumerate(zip(keys, variables)):
        arr = torch.as_tensor(np.asarray(group[key]))
        owner = owners.get(id(v))
        layout = layouts.get(id(owner)) if owner is not None else None
        if layout is not None:
            arr = layout[0](arr)
        if tuple(arr.shape) != tuple(v.shape):
            raise ValueError(
                f"{filename}: optimizer variable {i} expected shape {tuple(v.shape)}, found "
                f"{tuple(arr.shape)}. The optimizer state belongs to another model; no weight was changed."
            )
        values.append(arr)

    def apply():
        with torch.no_grad():
            for v, arr in zip(variables, values):
                v.copy_(arr.to(dtype=v.dtype, device=v.device))

    return apply


def save_weights(model, filepath):
    """Writes `model`'s weights to `filepath` in Keras 3's `.weights.h5` format, atomically."""
    import h5py

    from kerastorch.saving.atomic import atomic_write

    with atomic_write(filepath) as tmp:
        with h5py.File(tmp, "w") as h5:
            write_model(h5, model)


def load_weights(model, filepath, skip_mismatch=False):
    """Loads a Keras 3 `.weights.h5` file into `model` (all-or-nothing)."""
    import h5py

    from kerastorch.saving.atomic import open_h5

    with open_h5(filepath) as h5:
        read_model(h5, model, str(filepath), skip_mismatch=skip_mismatch)
