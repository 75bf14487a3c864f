"""Values a user stores in lists, tuples and dicts on a layer, tracked as Keras' `Tracker` tracks them
(`keras/src/utils/tracking.py`), and Keras' `_flatten_layers` order. Importable from
`kerastorch.layers.base` as before.

Keras' rules, kept here:

- a list set as an attribute becomes a `TrackedList`, a dict a `TrackedDict` (an `OrderedDict` a
  `TrackedOrderedDict`), nested ones too; a tuple stays a tuple (nested lists in it tracked);
- a `Variable` in them becomes a weight of the layer (`weights`, the weights file's `vars/<i>`,
  the optimizer, torch's `parameters()`/`state_dict()` under keys such as `ws[0]`, `d[a]`);
  a layer in them a sublayer, held for torch by `_kt_tracked_<attribute>` ModuleLists;
- `append`, `insert`, `extend`, `dict[key] = `, `update` track what they add; `pop`, `remove`,
  `clear`, `del lst[i]`, `dict.pop`, `popitem` untrack what they take away;
- as in Keras, `lst[i] = value`, `setdefault` and `del d[key]` neither track nor untrack, and
  what was tracked stays tracked when the attribute is set to something else or deleted;
- a `Metric` set as an attribute, or held in them, is one of the layer's metrics (Keras' `_metrics`):
  `layer.metrics` lists it, then its sublayers' metrics; a model's `metrics` lists it after the
  compiled ones, so `reset_metrics()`, `fit` and `evaluate` reset it and the logs show it. Its
  state is no weight of the layer and is not saved, as in Keras.
- once built, a layer's state is locked, as Keras' `Layer._lock_state` locks its `Tracker`: a new
  Variable, sublayer, metric or `SeedGenerator` (set as an attribute, put in a tracked container,
  or made by `add_weight`) raises `LOCK_MESSAGE`; see `state_unlocked` and `Layer`'s docstring.
"""

import collections
import contextlib
import sys
import weakref

import torch

from kerastorch import variables as _variables

_HOLDER = "_kt_tracked_"     # prefix of the modules holding the layers of a tracked attribute
_METRICS = "_kt_metrics"     # a layer's tracked Metric objects (in its __dict__), in tracking order
_TRACKED_METRICS = [0]       # how many metrics any layer ever tracked: none, and `metrics` walks no layers
_LIVE_METRICS = weakref.WeakSet()   # the metrics layers track, for `metric_states_kept`
_LOCKED = "_kt_locked"       # in a layer's __dict__: True once its state is locked (built)

# Keras' own words (`Layer._lock_state`), raised as a ValueError.
LOCK_MESSAGE = ("You cannot add new elements of state (variables or sub-layers) to a layer that is already "
                "built. All state must be created in the `__init__()` method or in the `build()` method.")


def is_locked(layer):
    """Whether `layer`'s state is locked: it was built, so no new Variable or sublayer may be added.

    Args:
        layer: A kerastorch layer.

    Returns:
        A bool.
    """
    return bool(layer.__dict__.get(_LOCKED))


@contextlib.contextmanager
def state_unlocked(layer):
    """Lets its block add state to a built `layer`, as Keras' `layer._tracker.unlock()` ... `lock()`:
    for kerastorch's own code that adds state after a build (not for user code: Keras refuses it).
    The lock is back as it was after the block.

    Example:
    >>> import kerastorch
    >>> dense = kerastorch.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> with state_unlocked(dense):
    ...     extra = dense.add_weight(shape=(2,), initializer="zeros", name="extra")
    >>> is_locked(dense), len(dense.weights)
    (True, 3)
    """
    d = layer.__dict__
    was = d.get(_LOCKED, False)
    d[_LOCKED] = False
    try:
        yield layer
    finally:
        if was:
            d[_LOCKED] = True


def check_unlocked(layer):
    """Raises Keras' lock error when `layer`'s state is locked (see `is_locked`)."""
    if layer.__dict__.get(_LOCKED):
        raise ValueError(LOCK_MESSAGE)


def _holds_module(owner, module):
    """Whether `module` is already one of `owner`'s modules (an attribute's, or a tracked container's)."""
    for key, held in owner._modules.items():
        if held is module or (key.startswith(_HOLDER) and any(m is module for m in held._modules.values())):
            return True
    return False


def adds_state(owner, value, caller=None):
    """Whether setting `value` on the locked layer `owner` (from frame `caller`; None: user code) would add a
    new element of state, as Keras' `Tracker` would add it to a store: a Variable not already `owner`'s weight, a module
    (layer) `owner` does not hold yet, a user's `Metric` not yet among its metrics, a `SeedGenerator` not
    already one of its attributes. Containers are checked item by item as they are tracked (`_track`)."""
    cls = value.__class__
    if cls is _variables.Variable:
        return value._owner is not owner
    if isinstance(value, torch.nn.Module):
        return not _holds_module(owner, value)
    if _is_metric(value):
        # kerastorch's own metrics (compile's) are not tracked, as in Keras
        internal = caller is not None and caller.f_globals.get("__name__", "").startswith("kerastorch.")
        return (not internal
                and not any(m is value for m in owner.__dict__.get(_METRICS, ())))
    if cls.__name__ == "SeedGenerator" and cls.__module__ == "kerastorch.random.seed_generator":
        return not any(v is value for v in owner.__dict__.values())
    return False


class _Tracked:
    """Shared by the tracked containers: what they add is tracked by their owner layer, what they
    take away untracked, as Keras' tracked containers do with their `Tracker`."""

    _kt_owner = None          # the layer tracking this container (None: a plain container)
    _kt_name = _kt_where = ""  # its attribute, and its place (`ws`, `d[a]`) for the weights' keys

    def _kt_track(self, value, key):
        owner = self._kt_owner
        return value if owner is None else _track(owner, self._kt_name, f"{self._kt_where}[{key}]", value)

    def _kt_untrack(self, value):
        if self._kt_owner is not None:
            _untrack(self._kt_owner, value)

    def __reduce_ex__(self, protocol):
        # Rebuilt without tracking (copy, deepcopy, pickle): the copied layer's registries already
        # hold what this container tracked.
        return _rebuilt, (type(self), list(self.items()) if isinstance(self, dict) else list(self),
                          dict(self.__dict__))


def _rebuilt(cls, items, state):
    obj = cls.__new__(cls)
    (obj.update if isinstance(obj, dict) else obj.extend)(items)   # no owner yet: nothing tracked
    obj.__dict__.update(state)
    return obj


class TrackedList(_Tracked, list):
    """A list set as a layer's attribute (`self.ws = [keras.Variable(...)]`, `self.blocks = []`).

    A list, whose Variables and layers the layer tracks as Keras' `TrackedList` does: they are the
    layer's weights and sublayers (`layer.weights`, the optimizer, the weights file), also those
    added later with `append`, `insert` or `extend`; `pop`, `remove`, `clear` and `del lst[i]`
    untrack what they take out. (`lst[i] = value` does neither, as in Keras.)

    Example:
    >>> import numpy as np
    >>> import kerastorch
    >>> class Scales(kerastorch.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.ws = [kerastorch.Variable(np.ones(2, "float32"), name="w0")]
    ...         self.ws.append(kerastorch.Variable(np.ones(2, "float32"), name="w1"))
    >>> [w.name for w in Scales().weights]
    ['w0', 'w1']
    """

    def append(self, value):
        """Appends `value`, tracking it (a Variable, a layer, or the ones in a container)."""
        self._kt_track(value, len(self))
        super().append(value)

    def insert(self, index, value):
        """Inserts `value` before `index`, tracking it."""
        self._kt_track(value, index)
        super().insert(index, value)

    def extend(self, values):
        """Appends each of `values`, tracking them."""
        start = len(self)
        super().extend([self._kt_track(v, start + i) for i, v in enumerate(values)])

    def remove(self, value):
        """Removes `value` (the same object first, else the first equal one), untracking it."""
        self._kt_untrack(value)
        for i, item in enumerate(self):     # by identity first: `==` of Variables is elementwise
            if item is value:
                return super().__delitem__(i)
        super().remove(value)

    def pop(self, index=-1):
        """Removes and returns the item at `index` (default last), untracking it."""
        self._kt_untrack(self[index])
        return super().pop(index)

    def clear(self):
        """Removes every item, untracking them."""
        for value in self:
            self._kt_untrack(value)
        super().clear()

    def __delitem__(self, index):
        value = self[index]
        super().__delitem__(index)
        self._kt_untrack(value)


class TrackedDict(_Tracked, dict):
    """A dict set as a layer's attribute (`self.heads = {"a": layers.Dense(1)}`), tracked as Keras'
    `TrackedDict`: its Variables and layers are the layer's, also those added later with
    `d[key] = value` or `update`; `pop`, `popitem` and `clear` untrack what they take out.

    Example:
    >>> import numpy as np
    >>> import kerastorch
    >>> class Heads(kerastorch.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.d = {"a": kerastorch.Variable(np.ones(2, "float32"), name="a")}
    ...         self.d["b"] = kerastorch.Variable(np.zeros(3, "float32"), name="b", trainable=False)
    >>> [(w.name, w.trainable) for w in Heads().weights]
    [('a', True), ('b', False)]
    """

    def __setitem__(self, key, value):
        self._kt_track(value, _key_text(key))
        super().__setitem__(key, value)

    def update(self, *args, **kwargs):
        """As `dict.update`, tracking the values added."""
        items = dict(*args, **kwargs)
        super().update({k: self._kt_track(v, _key_text(k)) for k, v in items.items()})

    def pop(self, key, *default):
        """As `dict.pop`, untracking the value taken out."""
        found = key in self
        value = super().pop(key, *default)
        if found:
            self._kt_untrack(value)
        return value

    def popitem(self, *args):
        """As `dict.popitem`, untracking the value taken out."""
        key, value = super().popitem(*args)
        self._kt_untrack(value)
        return key, value

    def clear(self):
        """Removes every item, untracking the values."""
        for value in self.values():
            self._kt_untrack(value)
        super().clear()


class TrackedOrderedDict(TrackedDict, collections.OrderedDict):
    """An `OrderedDict` set as a layer's attribute, tracked as `TrackedDict` (Keras' `TrackedOrderedDict`).

    Example:
    >>> import collections
    >>> import kerastorch
    >>> class Heads(kerastorch.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.heads = collections.OrderedDict(b=kerastorch.layers.Dense(1), a=kerastorch.layers.Dense(2))
    >>> heads = Heads()
    >>> type(heads.heads).__name__, [layer.units for layer in heads._sublayers()]
    ('TrackedOrderedDict', [1, 2])
    """


def _key_text(key):
    """A dict key as written in a weight's storage key (`d[a]`): torch's names may not hold '.'."""
    return str(key).replace(".", "_")


_CONTAINER_TYPES = (list, tuple, dict, TrackedList, TrackedDict, collections.OrderedDict, TrackedOrderedDict)


def _track(owner, name, where, value):
    """What Keras' `Tracker.track(value)` does for a layer `owner`, for a value at `where` (its place,
    `ws[0]`) in a container of attribute `name`: returns the value to store (a nested list or dict
    as a tracked one bound to `owner`)."""
    cls = value.__class__
    if owner.__dict__.get(_LOCKED) and adds_state(owner, value):
        raise ValueError(LOCK_MESSAGE)
    if cls is _variables.Variable:
        if value._owner is value:       # a user's Variable not yet a weight of any layer
            owner._track_container_variable(where, value)
        return value
    if isinstance(value, torch.nn.Module):
        _register(owner, name, value)
        return value
    if _is_metric(value):
        _add_metric(owner, value)
        return value
    if isinstance(value, collections.OrderedDict):
        return _bound(TrackedOrderedDict(), owner, name, where, value.items())
    if isinstance(value, dict):
        return _bound(TrackedDict(), owner, name, where, value.items())
    if isinstance(value, list):
        return _bound(TrackedList(), owner, name, where, enumerate(value))
    if isinstance(value, tuple):
        items = [_track(owner, name, f"{where}[{i}]", v) for i, v in enumerate(value)]
        if all(a is b for a, b in zip(items, value)):
            return value
        return cls(*items) if hasattr(value, "_fields") else cls(items)
    return value


def _bound(container, owner, name, where, items):
    """`container` filled with the tracked `items` (key or index, value), then bound to `owner`."""
    is_dict = isinstance(container, dict)
    put = (collections.OrderedDict.__setitem__ if isinstance(container, collections.OrderedDict)
           else dict.__setitem__)
    for key, item in items:
        tracked = _track(owner, name, f"{where}[{_key_text(key) if is_dict else key}]", item)
        if is_dict:
            put(container, key, tracked)
        else:
            list.append(container, tracked)
    container._kt_owner, container._kt_name, container._kt_where = owner, name, where
    return container


def _holders(owner):
    return [(key, m) for key, m in owner._modules.items() if key.startswith(_HOLDER)]


def _register(owner, name, module):
    """Holds `module` (a layer or torch module of attribute `name`'s containers) for torch, once per
    layer, in the order tracked, as Keras' `_layers`: in the last holder when it is this attribute's,
    else in a new one at the end of the owner's modules (`_kt_tracked_<name>~<n>`)."""
    base = _HOLDER + name
    if any(m is module for _, holder in _holders(owner) for m in holder._modules.values()):
        return
    last = next(reversed(owner._modules), None)
    if last is not None and (last == base or last.startswith(base + "~")):
        owner._modules[last].append(module)
    elif base not in owner._modules:
        owner._modules[base] = torch.nn.ModuleList([module])
    else:
        count = sum(1 for key in owner._modules if key.startswith(base + "~"))
        owner._modules[f"{base}~{count + 1}"] = torch.nn.ModuleList([module])


def _untrack(owner, value):
    """Keras' `Tracker.untrack(value)`: a Variable weight of `owner`, or a layer its containers hold,
    is no longer `owner`'s (anything else: nothing happens, as in Keras)."""
    if value.__class__ is _variables.Variable:
        if value._owner is owner:
            owner._untrack_variable(value)
    elif isinstance(value, torch.nn.Module):
        for _, holder in _holders(owner):
            for i, m in enumerate(list(holder)):
                if m is value:
                    del holder[i]
                    return
    elif _is_metric(value):
        tracked = owner.__dict__.get(_METRICS)
        for i, m in enumerate(tracked or ()):
            if m is value:
                del tracked[i]
                return


def _track_container(owner, name, value):
    """A list, dict or tuple set as attribute `name` of a layer by user code, tracked as Keras does.

    A list becomes a `TrackedList`, a dict a `TrackedDict` (still a list and a dict: later
    `append`s are tracked too), nested ones too; a tuple stays a tuple. Their Variables become
    the layer's weights, their layers its sublayers. Containers kerastorch sets itself (a
    model's stack, the trainer's lists) are left alone.
    """
    if sys._getframe(2).f_globals.get("__name__", "").startswith("kerastorch."):
        return value
    if isinstance(value, (list, dict)) and _HOLDER + name not in owner._modules:
        # The attribute is a container of layers for the weights file's walk (also while empty).
        owner._modules[_HOLDER + name] = torch.nn.ModuleList()
    tracked = _track(owner, name, name, value)
    owner.__dict__[name] = tracked
    return tracked


def _flatten_sublayers(layer):
    """The sublayers in Keras' `_flatten_layers` order (each once; a layer's children go first
    in the queue, in reverse, as Keras' `deque.extendleft` puts them)."""
    out, seen = [], {id(layer)}
    queue = collections.deque(layer._sublayers())
    while queue:
        sub = queue.popleft()
        if id(sub) in seen:
            continue
        seen.add(id(sub))
        out.append(sub)
        queue.extendleft(sub._sublayers())
    return out


# --------------------------------------------------------------------------- metrics


def _is_metric(value):
    """Whether `value` is a `kerastorch.metrics.Metric` (none exists before that module is imported)."""
    module = sys.modules.get("kerastorch.metrics.base")
    return module is not None and isinstance(value, module.Metric)


def _add_metric(owner, metric):
    """Keras' tracker "metrics" store: `metric` is one of `owner`'s metrics, once, in tracking order."""
    tracked = owner.__dict__.get(_METRICS)
    if tracked is None:
        tracked = owner.__dict__[_METRICS] = []
    if not any(m is metric for m in tracked):
        tracked.append(metric)
        _TRACKED_METRICS[0] += 1
        try:
            _LIVE_METRICS.add(metric)
        except TypeError:            # a metric class with __slots__ and no __weakref__: not kept
            pass


def _track_metric(owner, value):
    """A value set as an attribute of layer `owner` (not a container, not a Variable): tracked when it is
    a `Metric` set by user code, as Keras' `Layer.__setattr__` tracks it. Metrics kerastorch sets itself
    (the compiled metrics' container) are left alone, as Keras' `compile` does not track them.

    Args:
        owner: The layer whose attribute is set.
        value: The attribute's new value.
    """
    if _is_metric(value) and not sys._getframe(2).f_globals.get("__name__", "").startswith("kerastorch."):
        _add_metric(owner, value)


def own_metrics(layer):
    """The metrics tracked on `layer` itself (Keras' `layer._metrics`), without its sublayers' metrics.

    Args:
        layer: A kerastorch layer or model.

    Returns:
        A new list of the `Metric`s set as its attributes or held in its lists, tuples and dicts, in
        the order they were tracked.

    Example:
    >>> import kerastorch
    >>> class Counted(kerastorch.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.calls = [kerastorch.metrics.Sum(name="calls")]
    >>> [m.name for m in own_metrics(Counted())]
    ['calls']
    """
    return list(layer.__dict__.get(_METRICS, ()))


def metrics_tracked():
    """Whether any layer ever tracked a metric (else no layer's `metrics` needs its sublayers walked).

    Returns:
        A bool, `True` once any layer in this process tracked a `Metric`.
    """
    return _TRACKED_METRICS[0] > 0


def _metric_state(metric):
    """What `metric_states_kept` restores: the state dict and its tensors (with copies of their values),
    the state's device, and the values of the `add_variable` Variables, of `metric` and of the metrics
    it holds as attributes."""
    saved, seen, todo = [], set(), [metric]
    while todo:
        m = todo.pop()
        if id(m) in seen or not _is_metric(m):
            continue
        seen.add(id(m))
        state = m.__dict__.get("_state")
        items = None if state is None else [(k, v, v.clone()) for k, v in state.items()]
        variables = [(v, v.value.clone()) for v in m.__dict__.get("_variables", ())]
        saved.append((m, state, items, m.__dict__.get("_device"), variables))
        todo.extend(v for v in m.__dict__.values() if _is_metric(v))
    return saved


def _restore_metric_state(saved):
    """Puts back what `_metric_state` saved: the same dict and tensors, holding the same values."""
    for m, state, items, device, variables in saved:
        if state is not None:
            for _, tensor, value in items:
                tensor.copy_(value)
            state.clear()
            state.update((k, tensor) for k, tensor, _ in items)
            m._state, m._device = state, device
        for variable, value in variables:
            variable.assign(value)


@contextlib.contextmanager
def metric_states_kept():
    """Runs its block, then puts back the state of every metric a layer tracks: for the stand-in runs
    that find output shapes (symbolic tracing), which Keras runs in a stateless scope, so a layer's
    `call` updating its metric leaves no trace of them.

    Example:
    >>> import torch, kerastorch
    >>> class Probe(kerastorch.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.seen = kerastorch.metrics.Mean(name="seen")
    ...     def call(self, x):
    ...         self.seen.update_state(x)
    ...         return x
    >>> probe = Probe()
    >>> _ = probe(torch.ones(2, 3))
    >>> with metric_states_kept():
    ...     _ = probe(torch.full((4, 3), 9.0))
    >>> float(probe.seen.result())
    1.0
    """
    if not _TRACKED_METRICS[0]:
        yield
        return
    saved = [entry for metric in list(_LIVE_METRICS) for entry in _metric_state(metric)]
    try:
        yield
    finally:
        with torch.no_grad():
            _restore_metric_state(saved)


class MetricTracking:
    """Mixed into `Layer`: the metrics set as its attributes, as Keras' `Layer.metrics`."""

    @property
    def metrics(self):
        """The layer's metrics, as Keras lists them: each `Metric` set as an attribute of the layer (or
        held in a list, tuple or dict on it), in the order they were tracked, then each sublayer's
        `metrics` in turn. A metric's state is no weight of the layer.

        Example:
        >>> import kerastorch
        >>> class Scaled(kerastorch.layers.Layer):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.dense = kerastorch.layers.Dense(2)
        ...         self.mean_out = kerastorch.metrics.Mean(name="mean_out")
        ...     def call(self, x):
        ...         y = self.dense(x)
        ...         self.mean_out.update_state(y)
        ...         return y
        >>> layer = Scaled()
        >>> [m.name for m in layer.metrics]
        ['mean_out']
        """
        out = own_metrics(self)
        if _TRACKED_METRICS[0]:
            for layer in self._sublayers():
                out.extend(layer.metrics)
        return out

    @property
    def metrics_variables(self):
        """The variables of the layer's metrics, as Keras' `metrics_variables`: each metric of `metrics`
        in turn (for a compiled model, the loss tracker's, then the compiled metrics', then those set as
        attributes and the sublayers'), its `variables` in order. A metric's state is no weight of the layer.

        Example:
        >>> import torch, kerastorch
        >>> class Probe(kerastorch.layers.Layer):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.seen = kerastorch.metrics.Mean(name="seen")
        ...     def call(self, x):
        ...         self.seen.update_state(x)
        ...         return x
        >>> probe = Probe()
        >>> _ = probe(torch.ones(2, 3))
        >>> [float(v) for v in probe.metrics_variables]      # Mean's total (of each row's mean), then its count
        [2.0, 2.0]
        """
        out = []
        for metric in self.metrics:
            variables = getattr(metric, "variables", None)
            out.extend(_tracker_variables(metric) if variables is None else variables)
        return out


def _tracker_variables(tracker):
    """The state of a tracker without `variables` (the trainer's loss tracker, Keras' `Mean(name="loss")`):
    its total and its count, as Keras' Mean lists them (the count as a new float tensor)."""
    total = getattr(tracker, "total", None)
    if total is None:
        total = torch.zeros(())
    return [total, torch.tensor(float(getattr(tracker, "count", 0)), dtype=total.dtype)]
