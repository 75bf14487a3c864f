"""The misuses the article warns about get a message naming the problem, the shapes, and the fix."""

import numpy as np
import pytest

import kerastorch as keras
from kerastorch import layers


def _classifier(input_shape, loss="categorical_crossentropy"):
    model = keras.Sequential([layers.Input(shape=input_shape), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def test_batch_axis_inside_input_shape_is_explained():
    model = _classifier((32, 784))
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((64, 784)), np.zeros((64, 10)), verbose=0)
    message = str(info.value)
    assert "expects samples of shape (32, 784)" in message
    assert "x holds samples of shape (784,)" in message and "x.shape=(64, 784)" in message
    assert "use Input(shape=(784,)) and fit(..., batch_size=32)" in message


def test_sample_shape_mismatch_names_both_shapes_and_the_fix():
    model = _classifier((784,))
    weights = model.get_weights()
    with pytest.raises(ValueError) as info:
        model.predict(np.zeros((5, 100)), verbose=0)
    message = str(info.value)
    assert "expects samples of shape (784,)" in message and "samples of shape (100,)" in message
    assert "Reshape the data to (num_samples, 784)" in message
    for w, before in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(w, before)


def test_integer_labels_with_categorical_crossentropy_before_any_step():
    model = _classifier((784,))
    weights = model.get_weights()
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((64, 784)), np.random.randint(0, 10, 64), verbose=0)
    message = str(info.value)
    assert "categorical_crossentropy" in message and "(64,)" in message and "(None, 10)" in message
    assert "sparse_categorical_crossentropy" in message and "to_categorical" in message
    for w, before in zip(model.get_weights(), weights):   # no training step ran
        np.testing.assert_array_equal(w, before)


def test_one_hot_labels_with_sparse_crossentropy():
    model = _classifier((784,), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((64, 784)), np.eye(10)[np.random.randint(0, 10, 64)], verbose=0)
    assert "sparse_categorical_crossentropy" in str(info.value)
    assert "loss='categorical_crossentropy'" in str(info.value)


def test_layer_that_cannot_take_the_previous_output_is_named_with_the_shapes_so_far():
    with pytest.raises(ValueError) as info:
        keras.Sequential([layers.Input(shape=(784,)), layers.Dense(8), layers.Conv2D(4, 3)])
    message = str(info.value)
    assert "layer 'conv2d" in message and "(Conv2D)" in message
    assert "Input (None, 784) -> dense" in message and "(None, 8)" in message


def test_fit_before_compile():
    model = keras.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"call `compile\(\)` before"):
        model.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)


def test_x_and_y_of_different_lengths():
    model = _classifier((784,))
    with pytest.raises(ValueError, match="x has 64, y has 63 samples"):
        model.fit(np.zeros((64, 784)), np.zeros((63, 10)), verbose=0)


@pytest.mark.parametrize("kind,value,known", [
    ("optimizer", "adamm", "'adam'"),
    ("loss", "categorical_crossentropyy", "'categorical_crossentropy'"),
    ("metrics", ["accuracyy"], "'accuracy'"),
])
def test_unknown_names_suggest_the_closest(kind, value, known):
    model = keras.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    args = {"optimizer": "adam", "loss": "mse", kind: value}
    with pytest.raises(ValueError, match=f"Did you mean {known}"):
        model.compile(**args)
