"""Layers held in lists and dicts set on a layer, tracked as Keras tracks them (`TrackedList`,
`TrackedDict`), and Keras' `_flatten_layers` order. Importable from `kerastorch.layers.base` as before."""

import collections

import torch


_CONTAINER_TYPES = (list, tuple, dict)
_HOLDER = "_kt_tracked_"     # prefix of the module holding the layers of a tracked attribute


class _Tracked:
    """Shared by TrackedList and TrackedDict: after each change, the owner's holder module of the
    container's layers (nested lists and dicts too) is made again, so torch sees them."""

    def _kt_bind(self, owner, name):
        self._kt_owner, self._kt_name = owner, name
        self._kt_sync()

    def _kt_sync(self):
        owner = getattr(self, "_kt_owner", None)
        if owner is not None and owner.__dict__.get(self._kt_name) is self:
            _register(owner, self._kt_name, self)


def _register(owner, name, container):
    """Registers the layers of `container` not yet held for attribute `name`, in a new holder at the end
    of the owner's modules: layers are listed in the order they were tracked, as Keras lists them, and
    stay tracked when the attribute is set to something else, as in Keras."""
    base = _HOLDER + name
    held = {id(m) for key, holder in owner._modules.items() if key == base or key.startswith(base + "~")
            for m in holder._modules.values()}
    new = [m for m in _contents(container) if id(m) not in held]
    if base not in owner._modules:
        owner._modules[base] = torch.nn.ModuleList(new)
    elif new:
        count = sum(1 for key in owner._modules if key.startswith(base + "~"))
        owner._modules[f"{base}~{count + 1}"] = torch.nn.ModuleList(new)


def _synced(method):
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        self._kt_sync()
        return self if method.__name__.startswith("__i") else result
    wrapper.__name__ = method.__name__
    return wrapper


class TrackedList(_Tracked, list):
    """A list set as a layer's attribute (`self.blocks = []`, then `append`): a list, whose layers
    are tracked as Keras tracks them (in `layer.weights`, the optimizer, the weights file as
    `<attribute>/<snake_class>[_n]`). It may hold other values too."""

    for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
                  "__setitem__", "__delitem__", "__iadd__", "__imul__"):
        locals()[_name] = _synced(getattr(list, _name))
    del _name


class TrackedDict(_Tracked, dict):
    """A dict set as a layer's attribute (`self.heads = {"a": ...}`), its layers tracked as Keras does."""

    for _name in ("__setitem__", "__delitem__", "update", "setdefault", "pop", "popitem", "clear"):
        locals()[_name] = _synced(getattr(dict, _name))
    del _name


def _contents(value):
    if isinstance(value, torch.nn.Module):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return [m for item in items for m in _contents(item)]


def _track_container(owner, name, value):
    """A list, dict or tuple set on a layer by user code, its layers made visible to torch.

    A list becomes a `TrackedList`, a dict a `TrackedDict` (still a list and a dict: later
    `append`s are tracked too); a tuple stays a tuple. Containers kerastorch sets itself
    (a model's stack, the trainer's lists) are left alone.
    """
    import sys

    if sys._getframe(2).f_globals.get("__name__", "").startswith("kerastorch."):
        return value
    if isinstance(value, list):
        tracked = TrackedList(value)
    elif isinstance(value, dict):
        tracked = TrackedDict(value)
    else:
        if _contents(value):
            _register(owner, name, value)
        return value
    owner.__dict__[name] = tracked         # so that the binding sees it as the attribute
    tracked._kt_bind(owner, name)
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
