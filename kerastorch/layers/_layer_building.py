"""Building a `Layer` and locking its state: Keras' build wrapper (`_wrap_build`, `_build_wrapper`),
building by tracing, the bookkeeping of a call that builds sublayers, and `_lock_state`. The
`LayerBuilding` mixin of `Layer`; everything importable from `kerastorch.layers.base` as before."""

import contextlib
import sys

import torch

from kerastorch import variables as _variables
from kerastorch.layers import symbolic as _symbolic
from kerastorch.layers.call_context import no_loss_collection
from kerastorch.layers.symbolic import KerasTensor

# `Layer` inherits from `LayerBuilding`, so it cannot be imported here: base.py sets it once the
# class exists, for the code below that names it (moved from base.py as it was).
Layer = None


@contextlib.contextmanager
def building_call(layer):
    """The bookkeeping around a call of `layer` that may build its sublayers (its scoped call, or a
    wrapper running it in the wrapper's scope): during the call its forward takes the usual path
    (`_kt_call_scope` off); after it, the state lock `_build_wrapper` left pending comes, and
    `_kt_call_scope` holds the sublayers still unbuilt (False when none). A failed call restores it."""
    d = layer.__dict__
    before = d.get("_kt_call_scope", True)
    d["_kt_call_scope"] = False
    try:
        yield
    except BaseException:
        d["_kt_call_scope"] = before
        raise
    if d.pop("_kt_lock_pending", False):     # the call that built the sublayers is done
        layer._lock_state()
    d["_kt_call_scope"] = _unbuilt_sublayers(layer, before if type(before) is list else None) or False


def _unbuilt_sublayers(layer, among=None):
    """The layers below `layer` (at any depth; only those of `among` when given) not built yet."""
    if among is None:
        among = [m for m in layer.modules() if m is not layer and isinstance(m, Layer)]
    return [m for m in among if not m.built]


# True while an eager first call builds its layer (see `_scoped_forward`).
_EAGER_BUILD = [False]


def _traces_to_build(layer):
    """Keras' `_maybe_build` rule: a layer without its own `build` whose sublayers are unbuilt is
    built by tracing its `call` (in its name scope). Needed here only where no trace of the call
    follows the build: a layer giving its own `compute_output_shape` or `compute_output_spec`."""
    cls = type(layer)
    return (cls.build is Layer.build and layer._modules
            and (cls.compute_output_shape is not Layer.compute_output_shape
                 or callable(getattr(layer, "compute_output_spec", None)))
            and any(not sub.built for sub in layer._sublayers()))


def _build_by_tracing(layer, input_shape):
    """Runs `layer` on stand-in tensors of `input_shape` (a shape, or a list of shapes), building
    the sublayers its call uses; as in Keras, a call that cannot be traced is left to the first
    real call to build them."""
    def is_shape(s):
        return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)

    if is_shape(input_shape):
        args = (KerasTensor(tuple(input_shape)),)
    elif isinstance(input_shape, (tuple, list)) and input_shape and all(is_shape(s) for s in input_shape):
        args = ([KerasTensor(tuple(s)) for s in input_shape],)
    else:
        return
    try:
        with no_loss_collection():
            _symbolic.trace(lambda *a: layer(*a), args, {}, device=_symbolic._layer_device(layer))
    except Exception:  # noqa: BLE001 - Keras' rule: the eager call builds what the trace could not
        pass


def _wrap_build(build, own=False):
    """A layer's (or model's) `build` as Keras wraps it: a user's runs in the layer's name scope, then
    `_after_build` (built; a model also keeps the shape); kerastorch's own (`own`) marks itself built.
    Then, once the outermost build of the instance returns (not a `super().build()` inside it),
    the layer's state is locked (`_lock_state`), as Keras' build wrapper locks it."""
    import functools

    if getattr(build, "_kt_build_wrapper", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        d = self.__dict__
        depth = d.get("_kt_build_depth", 0)
        d["_kt_build_depth"] = depth + 1
        try:
            if own:
                result = build(self, *args, **kwargs)
            else:
                with _variables.name_scope_of(self):
                    result = build(self, *args, **kwargs)
                self._after_build(args, kwargs)
        finally:
            d["_kt_build_depth"] = depth
        if not depth and self.built:
            self._lock_state()
        return result

    wrapper._kt_build_wrapper = True
    return wrapper


def _stays_open(layer):
    """Keras' Sequential and Functional models keep their state open after build (their `_lock_state`
    does nothing), to attach layers to a built model."""
    for module, name in (("kerastorch.models.sequential", "Sequential"),
                         ("kerastorch.models.functional", "Functional")):
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(layer, getattr(loaded, name)):
            return True
    return False


class LayerBuilding:
    """The building part of `Layer` (mixed into it): `build`, Keras' build wrapper and build at
    init, and the state lock that follows a build."""

    def _after_build(self, args, kwargs):
        """What follows a user's `build(*args, **kwargs)` (see `_wrap_build`): the layer is built."""
        self.built = True
        if not self._trainable:
            for p in self.parameters():
                p.requires_grad_(False)

    def build(self, input_shape):
        """Creates the layer's weights once the input shape is known. Override in subclasses.

        Args:
            input_shape: Tuple with `None` for the batch axis.
        """
        # As Keras' build wrapper: the layer's scope opens, fixing its path (sublayers its first
        # call builds get `<that path>/<layer name>/...`, also when a parent calls it later).
        _variables.scope_path(self)
        torch.nn.Module.__setattr__(self, "built", True)
        if not self.__dict__.get("_kt_build_depth"):
            self._lock_state()     # called directly (`layer.build(shape)`), not by a build: locked

    def _build_at_init(self):
        """Keras' `_build_at_init`: a layer without state whose `build` is not overridden is built
        at construction (Dropout, poolings, activations), so `summary()` shows it built before a call;
        its state is locked then, as in Keras."""
        if type(self).build is Layer.build:
            torch.nn.Module.__setattr__(self, "built", True)
            self._lock_state()

    def _lock_state(self):
        """Keras' `_lock_state`: no new Variable, sublayer, metric or seed generator may be added from
        now on (see the class docstring). Called once the layer is built. Sequential and Functional
        models stay open, as in Keras; a subclass may override this to keep its state open."""
        if not _stays_open(self):
            self.__dict__["_kt_locked"] = True

    def _unlock_state(self):
        """Opens the layer's state again (Keras' `_tracker.unlock()`); `tracking.state_unlocked` is the
        context manager that opens it for a block only."""
        self.__dict__["_kt_locked"] = False

    def _build_wrapper(self, input_shape):
        if not self.built:
            d = self.__dict__
            # Keras' `_maybe_build`: a layer without its own build whose sublayers are unbuilt runs its
            # call to build them before locking; kerastorch's first call (or trace) does that: the lock
            # waits for its end (`_scoped_forward`). Otherwise the layer is locked once built.
            pending = type(self).build is Layer.build and any(not sub.built for sub in self._sublayers())
            d["_kt_build_depth"] = d.get("_kt_build_depth", 0) + 1
            try:
                with _variables.name_scope_of(self):
                    self.build(tuple(input_shape))
                    torch.nn.Module.__setattr__(self, "built", True)
                    if not _EAGER_BUILD[0] and _traces_to_build(self):
                        _build_by_tracing(self, input_shape)
                        pending = False
            finally:
                d["_kt_build_depth"] -= 1
            if pending:
                d["_kt_lock_pending"] = True
            elif not d["_kt_build_depth"]:
                self._lock_state()
            if not self._trainable:
                for p in self.parameters():
                    p.requires_grad_(False)
