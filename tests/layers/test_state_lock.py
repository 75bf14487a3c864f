"""A built layer's state is locked, as Keras' `Layer._lock_state` locks it.

Each case runs the same code on real Keras and on kerastorch: both raise Keras' lock error
(a ValueError with the same message) or both succeed. The cases cover where Keras locks (after
a build, its own or the default one; a layer built at init; `build()` called by the user; a
subclassed model after its first call or `fit`) and where it does not (state made in `build`
after `super().build()`, sublayers built in `call`, a default build tracing sublayers made in
`call`, Sequential and Functional models, untracking, values that are no state).
"""

import numpy as np
import pytest

import kerastorch
from kerastorch.layers.tracking import LOCK_MESSAGE, is_locked, state_unlocked

X = np.ones((2, 3), "float32")
Y = np.ones((2, 2), "float32")


def _classes(lib):
    """User layers and models written once for both libraries."""
    L = lib.layers

    class LazyNoSubs(L.Layer):                   # default build, a sublayer made in call
        def call(self, x):
            if not hasattr(self, "d"):
                self.d = L.Dense(2)
            return self.d(x)

    class LazyWithSubs(L.Layer):                 # default build, unbuilt sublayers: call traced first
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = L.Dense(3)

        def call(self, x):
            if not hasattr(self, "d"):
                self.d = L.Dense(2)
            return self.d(self.a(x))

    class SuperFirst(L.Layer):                   # super().build() first, then a weight
        def build(self, shape):
            super().build(shape)
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    class WeightInCall(L.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            self.v = self.add_weight(shape=(1,), initializer="ones")
            return x * self.w

    class InnerBuiltInCall(L.Layer):             # own build; a sublayer of __init__ built by call
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = L.Dense(2)

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return self.inner(x * self.w)

    class SublayerInCall(L.Layer):               # own build; a new sublayer made in call
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            self.d = L.Dense(2)
            return self.d(x * self.w)

    class BuiltInInit(L.Layer):                  # `self.built = True` by the user: no lock
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.built = True

        def call(self, x):
            if not hasattr(self, "w"):
                self.w = self.add_weight(shape=(x.shape[-1],), initializer="ones")
            return x * self.w

    class Counter(L.Layer):                      # plain values changed in call: no state
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.calls = 0
            self.mean = lib.metrics.Mean(name="mean")

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            self.calls = self.calls + 1
            self.seen = [self.calls, "x"]
            self.mean.update_state(x)
            return x * self.w

    class WithVariable(L.Layer):                 # a Variable attribute, no build
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.v = lib.Variable(np.ones((3,), "float32"), name="v")
            self.ws = [lib.Variable(np.ones((3,), "float32"), name="w0")]

        def call(self, x):
            return x * self.v * self.ws[0]

    class SublayerInBuild(L.Layer):              # a sublayer made and built in build
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.heads = {}

        def build(self, shape):
            self.d = L.Dense(2)
            self.d.build(shape)
            self.heads["a"] = L.Dense(1)

        def call(self, x):
            return self.d(x) + self.heads["a"](x)

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = L.Dense(2)

        def call(self, x):
            return self.d(x)

    class NetWithBuild(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = L.Dense(2)

        def build(self, shape):
            self.d.build(shape)

        def call(self, x):
            return self.d(x)

    return {k: v for k, v in locals().items() if isinstance(v, type)}


def _built_dense(lib):
    dense = lib.layers.Dense(2)
    dense.build((None, 3))
    return dense


def _called(layer):
    layer(X)
    return layer


def _fitted(lib, model):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    return model


def _sequential(lib):
    return lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(2)])


def _functional(lib):
    inputs = lib.layers.Input((3,))
    return lib.Model(inputs, lib.layers.Dense(2)(inputs))


def _new_weight(layer):
    return layer.add_weight(shape=(1,), initializer="zeros")


def _set(layer, name, value):
    setattr(layer, name, value)


# name -> code run on `lib` (keras or kerastorch) and the classes written for it
CASES = {
    # where Keras locks
    "default build, sublayer made in call, no sublayers before": lambda lib, C: _called(C["LazyNoSubs"]()),
    "add_weight in call after own build": lambda lib, C: _called(C["WeightInCall"]()),
    "new sublayer in call after own build": lambda lib, C: _called(C["SublayerInCall"]()),
    "user build() called directly, then add_weight": lambda lib, C: _new_weight(
        _built(C["SuperFirst"](), (None, 3))),
    "Dense.build() called directly, then add_weight": lambda lib, C: _new_weight(_built_dense(lib)),
    "Dense called, then add_weight": lambda lib, C: _new_weight(_called(lib.layers.Dense(2))),
    "Layer().build() (the default build) called, then add_weight": lambda lib, C: _new_weight(
        _built(lib.layers.Layer(), (None, 3))),
    "layer without build called, then add_weight": lambda lib, C: _new_weight(_called(C["WithVariable"]())),
    "built Dense: new Variable attribute": lambda lib, C: _set(_built_dense(lib), "v", lib.Variable(1.0)),
    "built Dense: another layer's Variable": lambda lib, C: _set(
        _built_dense(lib), "v", _called(C["WithVariable"]()).v),
    "built Dense: new sublayer": lambda lib, C: _set(_built_dense(lib), "sub", lib.layers.Dense(1)),
    "built Dense: list holding a new sublayer": lambda lib, C: _set(
        _built_dense(lib), "subs", [1, lib.layers.Dense(1)]),
    "built Dense: dict holding a new Variable": lambda lib, C: _set(
        _built_dense(lib), "d", {"a": {"b": lib.Variable(1.0)}}),
    "built Dense: append a layer to an empty list": lambda lib, C: _append(_built_dense(lib), lib.layers.Dense(1)),
    "built Dense: metric attribute": lambda lib, C: _set(_built_dense(lib), "m", lib.metrics.Mean()),
    "built Dense: SeedGenerator attribute": lambda lib, C: _set(_built_dense(lib), "sg", lib.random.SeedGenerator(1)),
    "Dropout (built at init): add_weight": lambda lib, C: _new_weight(lib.layers.Dropout(0.5)),
    "Dropout (built at init): new sublayer": lambda lib, C: _set(lib.layers.Dropout(0.5), "d", lib.layers.Dense(1)),
    "Activation (built at init): Variable attribute": lambda lib, C: _set(
        lib.layers.Activation("relu"), "v", lib.Variable(1.0)),
    "subclassed model called: new sublayer": lambda lib, C: _set(_called(C["Net"]()), "extra", lib.layers.Dense(1)),
    "subclassed model fitted: new sublayer": lambda lib, C: _set(
        _fitted(lib, C["Net"]()), "extra", lib.layers.Dense(1)),
    "subclassed model built by its build(): add_weight": lambda lib, C: _new_weight(
        _built(C["NetWithBuild"](), (None, 3))),
    "built layer: new layer put in its tracked dict": lambda lib, C: _put(
        _called(C["SublayerInBuild"]()), lib.layers.Dense(1)),
    # where Keras does not lock, or nothing new is added
    "sublayers made in build": lambda lib, C: _called(C["SublayerInBuild"]()),
    "default build, sublayers traced before the lock": lambda lib, C: _called(C["LazyWithSubs"]()),
    "add_weight after super().build() in build": lambda lib, C: _called(C["SuperFirst"]()),
    "sublayer of __init__ built in call": lambda lib, C: _called(C["InnerBuiltInCall"]()),
    "built=True set by the user in __init__": lambda lib, C: _called(C["BuiltInInit"]()),
    "plain values and a metric update in call": lambda lib, C: _called(_called(C["Counter"]())),
    "built Dense: its own kernel under another name": lambda lib, C: _own_again(_built_dense(lib), "kernel"),
    "built layer: its own Variable under another name": lambda lib, C: _own_again(_called(C["WithVariable"]()), "v"),
    "built Dense: int, string and empty containers": lambda lib, C: _plain_values(_built_dense(lib)),
    "built Dense: append an int to a list": lambda lib, C: _append(_built_dense(lib), 3),
    "built layer: del of a Variable attribute": lambda lib, C: delattr(_called(C["WithVariable"]()), "v"),
    "built layer: pop from a tracked list": lambda lib, C: _called(C["WithVariable"]()).ws.pop(),
    "built layer: its sublayer set again": lambda lib, C: _set_again(_called(C["InnerBuiltInCall"]()), "inner"),
    "unbuilt sublayer of a built layer: add_weight": lambda lib, C: _new_weight(
        _built(C["InnerBuiltInCall"](), (None, 3)).inner),
    "unbuilt Dense: add_weight and attributes": lambda lib, C: _unbuilt_state(lib),
    "Sequential built: new sublayer": lambda lib, C: _set(_sequential(lib), "extra", lib.layers.Dense(1)),
    "Sequential built: add_weight": lambda lib, C: _new_weight(_sequential(lib)),
    "Functional: new sublayer": lambda lib, C: _set(_functional(lib), "extra", lib.layers.Dense(1)),
    "Functional: add_weight": lambda lib, C: _new_weight(_functional(lib)),
    "subclassed model built: compile and fit": lambda lib, C: _fitted(lib, _called(C["Net"]())),
    "subclassed model with build(): fit": lambda lib, C: _fitted(lib, C["NetWithBuild"]()),
}


def _put(layer, value):
    layer.heads["b"] = value


def _built(layer, shape):
    layer.build(shape)
    return layer


def _append(layer, value):
    layer.items = []
    layer.items.append(value)


def _own_again(layer, name):
    layer.again = getattr(layer, name)


def _plain_values(layer):
    layer.n, layer.s, layer.lst, layer.dct, layer.tup = 3, "s", [], {}, (1, 2)


def _set_again(layer, name):
    setattr(layer, name, getattr(layer, name))


def _unbuilt_state(lib):
    dense = lib.layers.Dense(2)
    _new_weight(dense)
    dense.v = lib.Variable(1.0)
    dense.sub = lib.layers.Dense(1)
    dense(X)


def _outcome(lib, case):
    try:
        CASES[case](lib, _classes(lib))
    except ValueError as e:
        if LOCK_MESSAGE in str(e):
            return "locked"
        raise
    return "ok"


@pytest.mark.parametrize("case", sorted(CASES))
def test_lock_as_keras(keras, case):
    expected = _outcome(keras, case)
    assert _outcome(kerastorch, case) == expected


def test_message_is_keras_own(keras):
    for lib in (keras, kerastorch):
        with pytest.raises(ValueError) as raised:
            _new_weight(_built_dense(lib))
        assert str(raised.value) == LOCK_MESSAGE


def test_state_unlocked_opens_for_the_block_only():
    dense = _built_dense(kerastorch)
    assert is_locked(dense)
    with state_unlocked(dense):
        dense.extra = kerastorch.layers.Dense(1)
        _new_weight(dense)
    assert is_locked(dense) and len(dense.weights) == 3
    with pytest.raises(ValueError, match="already built"):
        _new_weight(dense)
    layer = kerastorch.layers.Dense(2)          # unbuilt: stays unlocked after the block
    with state_unlocked(layer):
        pass
    assert not is_locked(layer)
