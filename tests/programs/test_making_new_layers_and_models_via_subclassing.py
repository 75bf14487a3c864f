"""keras.io guide "Making new layers and models via subclassing"
(guides/making_new_layers_and_models_via_subclassing.py, fchollet; its Keras 3 form, with
keras.ops and seeded keras.random), imports changed.

MNIST is replaced by random 784-feature samples (fewer); tf.* ops are keras.ops.
"""

import numpy as np
import pytest

from .conftest import copy_weights, rng, to_numpy


def linear_in_init(keras, ops):
    class Linear(keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(
                shape=(input_dim, units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    return Linear


def test_layer_with_weights_made_in_init(kt):
    keras, layers, ops = kt
    Linear = linear_in_init(keras, ops)
    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    w, b = (to_numpy(v) for v in linear_layer.weights)
    np.testing.assert_allclose(to_numpy(y), np.ones((2, 2)) @ w + b, rtol=1e-6)
    assert w.shape == (2, 4) and not b.any()


def test_weights_are_the_attributes_add_weight_returned(kt):
    keras, layers, ops = kt
    linear_layer = linear_in_init(keras, ops)(4, 2)
    linear_layer(ops.ones((2, 2)))
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]


def test_non_trainable_weight_accumulates(kt, real):
    def compute_sum(keras, ops):
        class ComputeSum(keras.layers.Layer):
            def __init__(self, input_dim):
                super().__init__()
                self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

            def call(self, inputs):
                self.total.assign_add(ops.sum(inputs, axis=0))
                return self.total

        return ComputeSum

    keras, layers, ops = kt
    x = ops.ones((2, 2))
    my_sum = compute_sum(keras, ops)(2)
    y = my_sum(x)
    y = my_sum(x)
    np.testing.assert_allclose(to_numpy(y), [4.0, 4.0])
    assert len(my_sum.weights) == 1 and len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


def lazy_linear(keras, ops):
    class Linear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units})
            return config

    return Linear


def mlp_block(keras, ops):
    Linear = lazy_linear(keras, ops)

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = keras.activations.relu(x)
            x = self.linear_2(x)
            x = keras.activations.relu(x)
            return self.linear_3(x)

    return MLPBlock


def test_lazy_layers_nest_and_compute_as_keras(kt, real):
    keras, layers, ops = kt
    mlp = mlp_block(keras, ops)()
    y = mlp(ops.ones(shape=(3, 64)))  # The first call to the `mlp` will create the weights
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    assert [tuple(w.shape) for w in mlp.weights] == [(64, 32), (32,), (32, 32), (32,), (32, 1), (1,)]

    theirs = mlp_block(real[0], real[2])()
    theirs(real[2].ones(shape=(3, 64)))
    theirs.set_weights(mlp.get_weights())
    x = rng(90).random((3, 64)).astype("float32")
    np.testing.assert_allclose(to_numpy(mlp(x)), to_numpy(theirs(x)), atol=1e-5)
    assert tuple(y.shape) == (3, 1)


def test_layer_config_round_trip_as_keras(kt, real):
    keras, layers, ops = kt
    layer = lazy_linear(keras, ops)(64, name="linear")
    config = layer.get_config()
    real_config = lazy_linear(real[0], real[2])(64, name="linear").get_config()
    assert config == real_config
    new_layer = lazy_linear(keras, ops).from_config(config)
    assert new_layer.units == 64 and new_layer.name == "linear"


def activity_regularization_layer(keras, ops):
    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

    return ActivityRegularizationLayer


def test_add_loss_is_reset_at_each_top_level_call(kt):
    keras, layers, ops = kt
    ActivityRegularizationLayer = activity_regularization_layer(keras, ops)

    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert len(layer.losses) == 0  # No losses yet since the layer has never been called
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # We created one loss value
    _ = layer(ops.ones((1, 1)) * 3)
    assert len(layer.losses) == 1  # This is the loss created during the call above
    np.testing.assert_allclose(to_numpy(layer.losses[0]), 0.03, rtol=1e-6)

    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))
    # This is `1e-3 * sum(layer.dense.kernel ** 2)`, created by the `kernel_regularizer` above.
    assert len(layer.losses) == 1
    np.testing.assert_allclose(to_numpy(layer.losses[0]), 1e-3 * np.sum(to_numpy(layer.dense.kernel) ** 2),
                               rtol=1e-5)


def activity_model(keras, ops):
    inputs = keras.Input(shape=(3,))
    outputs = activity_regularization_layer(keras, ops)()(inputs)
    return keras.Model(inputs, outputs)


NO_WEIGHTS = "ignore:The model does not have any trainable weights"   # the identity model; Keras warns too


@pytest.mark.filterwarnings(NO_WEIGHTS)
def test_added_losses_are_added_to_the_compiled_loss_as_keras(kt, real):
    r = rng(91)
    x, y = r.random((2, 3)), r.random((2, 3))
    results = []
    for keras, layers, ops in (kt, real):
        model = activity_model(keras, ops)
        # If there is a loss passed in `compile`, the regularization losses get added to it
        model.compile(optimizer="adam", loss="mse")
        results.append(model.fit(x, y, verbose=0).history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
    # by hand: mse + 0.01 * mean(x) for the identity model
    np.testing.assert_allclose(results[0][0], np.mean((x - y) ** 2) + 0.01 * x.mean(), rtol=1e-5)


@pytest.mark.filterwarnings(NO_WEIGHTS)
def test_added_losses_alone_train_a_model_compiled_without_loss(kt, real):
    r = rng(91)
    x, y = r.random((2, 3)), r.random((2, 3))
    results = []
    for keras, layers, ops in (kt, real):
        model = activity_model(keras, ops)
        # It's also possible not to pass any loss in `compile`, since the model already has a loss
        model.compile(optimizer="adam")
        results.append(model.fit(x, y, verbose=0).history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
    np.testing.assert_allclose(results[0][0], 0.01 * x.mean(), rtol=1e-5)


@pytest.mark.filterwarnings(NO_WEIGHTS)
def test_training_argument_reaches_custom_dropout(kt):
    keras, layers, ops = kt

    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs, training=None):
            if training:
                return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    seen = []

    class Probe(keras.layers.Layer):
        def call(self, inputs):
            seen.append(to_numpy(inputs))
            return inputs

    inputs = keras.Input(shape=(100,))
    outputs = layers.Dense(1, kernel_initializer="ones", trainable=False)(Probe()(CustomDropout(0.5)(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 100), "float32")
    model.fit(x, np.zeros((4, 1)), batch_size=4, verbose=0)
    dropped = seen[-1]
    assert set(np.unique(dropped)) == {0.0, 2.0}   # inverted dropout: kept values scaled by 1/(1-rate)
    np.testing.assert_allclose(model.predict(x, verbose=0), 100.0)   # inference: identity


def build_vae(keras, layers, ops):
    class Sampling(layers.Layer):
        """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class Encoder(layers.Layer):
        """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

        def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_mean = layers.Dense(latent_dim)
            self.dense_log_var = layers.Dense(latent_dim)
            self.sampling = Sampling()

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean = self.dense_mean(x)
            z_log_var = self.dense_log_var(x)
            z = self.sampling((z_mean, z_log_var))
            return z_mean, z_log_var, z

    class Decoder(layers.Layer):
        """Converts z, the encoded digit vector, back into a readable digit."""

        def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_output = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            x = self.dense_proj(inputs)
            return self.dense_output(x)

    class VariationalAutoEncoder(keras.Model):
        """Combines the encoder and decoder into an end-to-end model for training."""

        def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder",
                     **kwargs):
            super().__init__(name=name, **kwargs)
            self.original_dim = original_dim
            self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
            self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            reconstructed = self.decoder(z)
            # Add KL divergence regularization loss.
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return reconstructed

    return VariationalAutoEncoder


def test_end_to_end_vae_trains_with_fit(kt):
    keras, layers, ops = kt
    x_train = rng(92).integers(0, 256, size=(128, 784)).astype("float32") / 255
    VariationalAutoEncoder = build_vae(*kt)
    vae = VariationalAutoEncoder(784, 64, 32)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=2, batch_size=64, verbose=0)
    assert sorted(history.history) == ["loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert len(vae.losses) == 1   # the KL term of the last call
    assert [layer.name for layer in vae.layers] == ["encoder", "decoder"]
    assert len(vae.trainable_weights) == 10
    reconstructed = vae.predict(x_train[:5], verbose=0)
    assert reconstructed.shape == (5, 784) and ((reconstructed > 0) & (reconstructed < 1)).all()
