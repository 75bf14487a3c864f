"""A user layer's `build` called directly (by the user, or by an outer layer's build for its sublayer) runs in
the layer's name scope and marks it built, as Keras' build wrapper does; tested against real Keras."""

import numpy as np
import pytest

import kerastorch

keras = pytest.importorskip("keras")


def _classes(lib):
    class Inner(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="w")

        def call(self, x):
            return lib.ops.matmul(x, self.w)

    class Outer(lib.layers.Layer):
        def __init__(self, frozen=False, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner(trainable=not frozen)

        def build(self, input_shape):
            self.inner.build(input_shape)

        def call(self, x):
            return self.inner(x)

    class Deeper(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.outer = Outer()

        def build(self, input_shape):
            self.outer.build(input_shape)

        def call(self, x):
            return self.outer(x) * 2.0

    class WithSuper(lib.layers.Layer):
        def build(self, input_shape):
            self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="b")
            super().build(input_shape)

        def call(self, x):
            return x + self.b

    return {"outer": Outer, "frozen inner": lambda: Outer(frozen=True), "two levels": Deeper, "super": WithSuper}


def _state(layer):
    return ([w.path for w in layer.weights], [w.path for w in layer.trainable_weights], layer.built)


@pytest.mark.parametrize("name", ["outer", "frozen inner", "two levels", "super"])
@pytest.mark.parametrize("how", ["first call", "build called directly"])
def test_direct_builds_as_keras(name, how):
    x = np.ones((2, 4), "float32")
    seen = []
    for lib in (kerastorch, keras):
        lib.backend.clear_session()          # the same automatic names in both
        layer = _classes(lib)[name]()
        if how == "build called directly":
            layer.build((None, 4))
            built_before_call = _state(layer)
        else:
            built_before_call = None
        out = np.asarray(layer(x).detach() if lib is kerastorch else keras.ops.convert_to_numpy(layer(x)))
        seen.append((built_before_call, _state(layer), out))
    (ours_before, ours_after, ours_out), (theirs_before, theirs_after, theirs_out) = seen
    assert ours_before == theirs_before
    assert ours_after == theirs_after
    np.testing.assert_allclose(ours_out, theirs_out)
