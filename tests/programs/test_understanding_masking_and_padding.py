"""keras.io guide "Understanding masking & padding"
(guides/understanding_masking_and_padding.py, Scott Zhu, Francois Chollet), imports changed.

tf.* ops are keras.ops (tf.split -> ops.split, tf.nn.embedding_lookup -> ops.take,
tf.not_equal -> ops.not_equal). The guide's last call passes a second array positionally,
which Keras 3 refuses (it lands on `training`); the model is called on the inputs alone.
"""

import numpy as np
import pytest

from .conftest import copy_weights, rng, to_numpy

raw_inputs = [
    [711, 632, 71],
    [73, 8, 3215, 55, 927],
    [83, 91, 1, 645, 1253, 927],
]


def padded(keras):
    return keras.utils.pad_sequences(raw_inputs, padding="post")


def test_pad_sequences_and_mask_generating_layers(kt, real):
    keras, layers, ops = kt
    padded_inputs = padded(keras)
    np.testing.assert_array_equal(padded_inputs, padded(real[0]))
    assert padded_inputs.shape == (3, 6) and padded_inputs[0, 3:].tolist() == [0, 0, 0]

    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    np.testing.assert_array_equal(to_numpy(embedding.compute_mask(padded_inputs)), padded_inputs != 0)
    masking_layer = layers.Masking()
    # Simulate the embedding lookup by expanding the 2D input to 3D, with embedding dimension of 10.
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), "float32")
    np.testing.assert_array_equal(to_numpy(masking_layer.compute_mask(unmasked_embedding)), padded_inputs != 0)


def test_eager_calls_attach_masks(kt):
    """As Keras' Layer.__call__: eager outputs carry `_keras_mask`, and the next layer reads it."""
    keras, layers, ops = kt
    padded_inputs = padded(keras)
    masked_output = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(padded_inputs)
    np.testing.assert_array_equal(to_numpy(masked_output._keras_mask), padded_inputs != 0)
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), "float32")
    masked_embedding = layers.Masking()(unmasked_embedding)
    np.testing.assert_array_equal(to_numpy(masked_embedding._keras_mask), padded_inputs != 0)
    first_half, second_half = temporal_split(keras, ops)()(masked_embedding)
    np.testing.assert_array_equal(to_numpy(first_half._keras_mask), padded_inputs[:, :3] != 0)
    np.testing.assert_array_equal(to_numpy(second_half._keras_mask), padded_inputs[:, 3:] != 0)


def test_an_eager_chain_passes_masks_as_keras(kt, real):
    """Embedding(mask_zero) then LSTM, called one after the other outside any model: the LSTM reads
    the embedding output's `_keras_mask`, as in Keras, and skips the padding."""
    outs = []
    for keras, layers, ops in (kt, real):
        keras.utils.set_random_seed(3)
        embedding = layers.Embedding(input_dim=50, output_dim=4, mask_zero=True,
                                     embeddings_initializer=keras.initializers.Constant(0.1))
        lstm = layers.LSTM(3, kernel_initializer="ones", recurrent_initializer="ones")
        ids = np.array([[3, 7, 0, 0], [5, 1, 2, 9]], dtype="int32")
        outs.append(to_numpy(lstm(embedding(ids))))
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-6)


def masked_lstm_model(keras, layers, ops):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)
    return keras.Model(inputs, outputs)


def test_mask_propagates_to_the_lstm_as_in_keras(kt, real):
    keras, layers, ops = kt
    model, theirs = masked_lstm_model(*kt), masked_lstm_model(*real)
    copy_weights(model, theirs)
    padded_inputs = padded(keras)
    out = to_numpy(model(padded_inputs))
    np.testing.assert_allclose(out, to_numpy(theirs(padded_inputs)), atol=1e-5)
    # the padding is skipped: the first sequence gives what its 3 real steps give alone
    np.testing.assert_allclose(out[0], to_numpy(model(padded_inputs[:1, :3]))[0], atol=1e-6)


def my_layer(keras, layers, ops):
    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(32)

        def call(self, inputs):
            x = self.embedding(inputs)
            # Note that you could also prepare a `mask` tensor manually.
            mask = self.embedding.compute_mask(inputs)
            output = self.lstm(x, mask=mask)  # The layer will ignore the masked values
            return output

    return MyLayer


def test_mask_passed_by_hand_as_in_keras(kt, real):
    keras, layers, ops = kt
    x = (rng(100).random((8, 10)) * 100).astype("int32")   # the guide: 32 samples
    layer, theirs = my_layer(*kt)(), my_layer(*real)()
    out = layer(x)
    theirs(x)
    theirs.set_weights(layer.get_weights())
    assert tuple(out.shape) == (8, 32)
    np.testing.assert_allclose(to_numpy(out), to_numpy(theirs(x)), atol=1e-5)


def temporal_split(keras, ops):
    class TemporalSplit(keras.layers.Layer):
        """Split the input tensor into 2 tensors along the time dimension."""

        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            # Also split the mask into 2 if it presents.
            if mask is None:
                return None
            return ops.split(mask, 2, axis=1)

    return TemporalSplit


def test_overridden_compute_mask_attaches_masks_in_functional_models(kt, real):
    keras, layers, ops = kt
    assert temporal_split(keras, ops)().supports_masking
    # the guide's TemporalSplit in a Functional model: its two outputs carry the split masks
    inputs = keras.Input(shape=(6,))
    halves = temporal_split(keras, ops)()(layers.Masking()(ops.expand_dims(inputs, -1)))
    assert [tuple(h._keras_mask.shape) for h in halves] == [(None, 3), (None, 3)]


def custom_embedding(keras, ops):
    class CustomEmbedding(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.mask_zero = mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim),
                initializer="random_normal",
                dtype="float32",
            )

        def call(self, inputs):
            return ops.take(self.embeddings, inputs, axis=0)

        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return ops.not_equal(inputs, 0)

    return CustomEmbedding


def test_layers_that_modify_or_generate_masks(kt, real):
    keras, layers, ops = kt
    padded_inputs = padded(keras)
    first_mask, second_mask = temporal_split(keras, ops)().compute_mask(
        None, ops.convert_to_tensor(padded_inputs != 0))
    np.testing.assert_array_equal(to_numpy(first_mask), padded_inputs[:, :3] != 0)
    np.testing.assert_array_equal(to_numpy(second_mask), padded_inputs[:, 3:] != 0)

    layer = custom_embedding(keras, ops)(10, 32, mask_zero=True)
    x = (rng(101).random((3, 10)) * 9).astype("int32")
    mask = layer.compute_mask(x)
    np.testing.assert_array_equal(to_numpy(mask), x != 0)
    assert custom_embedding(keras, ops)(10, 32).compute_mask(x) is None


def test_custom_embedding_looks_up_integer_numpy_inputs(kt):
    keras, layers, ops = kt
    layer = custom_embedding(keras, ops)(10, 32, mask_zero=True)
    x = (rng(101).random((3, 10)) * 9).astype("int32")
    y = layer(x)
    np.testing.assert_allclose(to_numpy(y), to_numpy(layer.embeddings)[x])


def activation_model(keras, layers, ops):
    class MyActivation(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # Signal that the layer is safe for mask propagation
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)  # Will pass the mask along
    mask_found = x._keras_mask
    outputs = layers.LSTM(32)(x)  # Will receive the mask
    return keras.Model(inputs, outputs), mask_found


def test_opted_in_layer_passes_the_mask_on_as_in_keras(kt, real):
    (model, mask_found), (theirs, real_mask) = activation_model(*kt), activation_model(*real)
    assert mask_found is not None and tuple(mask_found.shape) == tuple(real_mask.shape) == (None, None)
    copy_weights(model, theirs)
    x = padded(kt[0])
    np.testing.assert_allclose(to_numpy(model(x)), to_numpy(theirs(x)), atol=1e-5)


def softmax_model(keras, layers, ops):
    class TemporalSoftmax(keras.layers.Layer):
        def call(self, inputs, mask=None):
            broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
            inputs_exp = ops.exp(inputs) * broadcast_float_mask
            inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=1, keepdims=True)
            return inputs_exp / inputs_sum

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)
    return keras.Model(inputs, outputs)


@pytest.mark.filterwarnings("ignore:Layer 'temporal_softmax'")   # Keras' mask-destroyed warning
def test_mask_consuming_layer_as_in_keras(kt, real):
    model, theirs = softmax_model(*kt), softmax_model(*real)
    copy_weights(model, theirs)
    x = rng(102).integers(0, 10, size=(32, 100))
    y = to_numpy(model(x))
    np.testing.assert_allclose(y, to_numpy(theirs(x)), atol=1e-6)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)   # a softmax over the unmasked steps
    assert (y[x == 0] == 0).all()
