"""A Sequential model given its one input inside a list (Keras: a warning, then the tensor itself), and
refusing several."""

import warnings

import numpy as np
import pytest

import kerastorch

keras = pytest.importorskip("keras")


def _pair():
    theirs = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2)])
    ours = kerastorch.Sequential([kerastorch.layers.Input((3,)), kerastorch.layers.Dense(2)])
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _messages(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in caught if "structure of `inputs`" in str(w.message)]


@pytest.mark.parametrize("how", ["call", "predict", "fit"])
def test_one_input_in_a_list_is_that_input_with_keras_warning(how):
    ours, theirs = _pair()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    y = np.zeros((4, 2), "float32")
    results = []
    for model, lib in ((ours, kerastorch), (theirs, keras)):
        if how == "call":
            run = lambda: np.asarray(model([x]).detach())
        elif how == "predict":
            run = lambda: model.predict([x], verbose=0)
        else:
            model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
            run = lambda: model.fit([x], y, epochs=1, batch_size=4, verbose=0).history["loss"]
        results.append(_messages(run))
    (got, our_warnings), (want, their_warnings) = results
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert our_warnings and their_warnings
    assert our_warnings[0].split("\n")[0] == their_warnings[0].split("\n")[0]


def test_several_inputs_are_refused_with_the_way_out():
    ours, _ = _pair()
    x = np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"takes one input, got a list of 2 tensors.*Functional"):
        ours([x, x])
