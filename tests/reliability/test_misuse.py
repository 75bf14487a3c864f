"""Misuses not covered elsewhere: each gets a message naming the problem and the fix, never torch's own.

(tests/test_foundation_errors.py, tests/trainer/test_reliability.py and tests/models/ cover the rest.)
"""

import numpy as np
import pytest

import kerastorch
from kerastorch import layers


def _classifier(units=4, activation="softmax", loss="sparse_categorical_crossentropy"):
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


def test_predict_on_a_sequential_without_layers():
    for model in (kerastorch.Sequential(), kerastorch.Sequential([layers.Input(shape=(3,))])):
        with pytest.raises(ValueError, match=r"Sequential 'sequential(_\d+)?' has no layers\. Add layers"):
            model.predict(np.zeros((2, 3)), verbose=0)


@pytest.mark.parametrize("make,expected", [
    (lambda: layers.Dense(3, activation="rellu"), r"Dense layer 'dense': invalid `activation`='rellu'\. "
                                                  r"Unknown activation 'rellu'\. Did you mean 'relu'"),
    (lambda: layers.Activation("sigmoidd"), r"Unknown activation 'sigmoidd'\. Did you mean 'sigmoid'.*Known: .*tanh"),
    (lambda: _classifier().compile(optimizer="rmsprob", loss="mse"),
     r"Unknown optimizer 'rmsprob'\. Did you mean 'rmsprop'\? Known: adadelta, .*sgd"),
    (lambda: _classifier().compile(optimizer="adam", loss="binary_crosentropy"),
     r"Unknown loss 'binary_crosentropy'\. Did you mean 'binary_crossentropy'.*Known: "),
    (lambda: _classifier().compile(optimizer="adam", loss="mse", metrics=["acuracy"]),
     r"Unknown metric 'acuracy'\. Did you mean 'accuracy'.*Known: "),
])
def test_unknown_names_list_the_close_matches(make, expected):
    with pytest.raises(ValueError, match=expected):
        make()


@pytest.mark.parametrize("labels,found", [([0, 1, 2, 3, 4, 5, 0, 1], "from 0 to 5"),
                                          ([0, 1, 2, 3, -1, 2, 0, 1], "from -1 to 3")])
def test_sparse_labels_out_of_range_name_the_range(labels, found):
    model = _classifier(units=4)
    before = model.get_weights()
    for attempt in range(2):   # a second try (a notebook cell run again) is checked again
        with pytest.raises(ValueError, match=rf"expects class ids in \[0, 4\) for predictions \(None, 4\), "
                                             rf"but y holds ids {found}\..*relabel y to 0\.\.3"):
            model.fit(np.zeros((8, 3)), np.array(labels), verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_a_later_fit_or_evaluate_checks_its_own_labels():
    model = _classifier(units=4)
    model.fit(np.zeros((8, 3)), np.array([0, 1, 2, 3] * 2), verbose=0)
    with pytest.raises(ValueError, match=r"but y holds ids from 0 to 9"):
        model.fit(np.zeros((8, 3)), np.array([0, 1, 2, 9] * 2), verbose=0)
    # The bad label is in the last batch: all of evaluate's targets are checked before any step.
    with pytest.raises(ValueError, match=r"but y holds ids from 0 to 7"):
        model.evaluate(np.zeros((40, 3)), np.array([0, 1, 2, 3] * 8 + [7] * 8), batch_size=8, verbose=0)


@pytest.mark.parametrize("targets,shown,hint", [
    (np.arange(8.0), r"\[0, 7\]", "Dense(8, activation='softmax')"),
    (np.array([-1.0, 1.0] * 4), r"\[-1, 1\]", None),
])
def test_binary_crossentropy_targets_outside_0_1(targets, shown, hint):
    model = _classifier(units=1, activation="sigmoid", loss="binary_crossentropy")
    for attempt in range(2):
        with pytest.raises(ValueError) as info:
            model.fit(np.zeros((8, 3)), targets.reshape(8, 1).astype("float32"), verbose=0)
        message = str(info.value)
        assert "Loss 'binary_crossentropy' expects targets in [0, 1], but y holds values in" in message
        assert __import__("re").search(shown, message), message
        assert (hint in message) if hint else "sparse_categorical_crossentropy" not in message


def test_set_weights_with_the_wrong_number_of_arrays():
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2, name="d")])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"expects 2 weight arrays \(d/kernel, d/bias\), got 1\. Pass the list "
                                         r"returned by get_weights\(\)"):
        model.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"expects 2 weight arrays .*got 3"):
        model.set_weights(before + [np.ones(2)])
    with pytest.raises(ValueError, match=r"Layer 'd', weight 'kernel': expected shape \(3, 2\) \(Keras layout\), "
                                         r"got \(2, 3\)\. No weight was changed"):
        model.set_weights([np.ones((2, 3)), np.ones(2)])
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_keras2_batch_input_shape_with_a_fixed_batch():
    # Keras 2's batch_input_shape=(32, 3): the shapes show the batch of 32, as in Keras, and the
    # model still takes data of any length and batches of any size (Keras 3 does the same).
    model = kerastorch.Sequential([layers.Dense(2, batch_input_shape=(32, 3))])
    assert model.input_shape == (32, 3) and model.output_shape == (32, 2)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.zeros((10, 3)), np.zeros((10, 2)), batch_size=4, epochs=2, verbose=0)
    assert history.epoch == [0, 1]
    assert model.predict(np.zeros((5, 3)), verbose=0).shape == (5, 2)
    with pytest.raises(ValueError, match=r"expects samples of shape \(3,\), from Input\(shape=\(3,\)\), but x holds "
                                         r"samples of shape \(5,\) \(x\.shape=\(10, 5\)\)"):
        model.predict(np.zeros((10, 5)), verbose=0)
