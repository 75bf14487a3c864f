"""keras.io example "Variational AutoEncoder" (examples/generative/vae.py, fchollet), imports changed.

The example's train_step records gradients with tf.GradientTape; here that part is the torch
backend's recipe (zero_grad, backward, optimizer.apply on v.value.grad), and tf.* ops are
keras.ops. MNIST is replaced by random 28x28 images; matplotlib plots are left out.
"""

import numpy as np
import pytest
import torch

from .conftest import copy_weights, rng, to_numpy

latent_dim = 2


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

    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [
                self.total_loss_tracker,
                self.reconstruction_loss_tracker,
                self.kl_loss_tracker,
            ]

        def train_step(self, data):
            # torch in place of the example's tf.GradientTape
            self.zero_grad()
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
            total_loss.backward()
            grads = [v.value.grad for v in self.trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(grads, self.trainable_weights)
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {
                "loss": self.total_loss_tracker.result(),
                "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                "kl_loss": self.kl_loss_tracker.result(),
            }

        def call(self, x):
            z_mean, z_log_var, z = self.encoder(x)
            return self.decoder(z)

    return encoder, decoder, VAE(encoder, decoder)


def digits(n=64):
    r = rng(30)
    images = r.integers(0, 256, size=(n, 28, 28)).astype("uint8")
    return np.expand_dims(images, -1).astype("float32") / 255


def test_encoder_and_decoder_shapes_as_keras(kt, real):
    encoder, decoder, vae = build_vae(*kt)
    assert encoder.output_shape == [(None, 2), (None, 2), (None, 2)]
    assert decoder.output_shape == (None, 28, 28, 1)
    real_encoder, real_decoder, _ = build_vae(*real)
    assert encoder.count_params() == real_encoder.count_params()
    assert decoder.count_params() == real_decoder.count_params()
    # the deterministic parts (z_mean, z_log_var, the decoder) compute as Keras' do
    copy_weights(encoder, real_encoder)
    copy_weights(decoder, real_decoder)
    x = digits(4)
    ours, theirs = encoder(x), real_encoder(x)
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=1e-5)
    z = rng(31).normal(size=(4, 2)).astype("float32")
    np.testing.assert_allclose(to_numpy(decoder(z)), to_numpy(real_decoder(z)), atol=1e-5)

    # plot_latent_space / plot_label_clusters: decoder.predict on one point, encoder.predict on images
    x_decoded = vae.decoder.predict(np.array([[0.5, -0.5]]), verbose=0)
    np.testing.assert_allclose(x_decoded, real_decoder.predict(np.array([[0.5, -0.5]]), verbose=0), atol=1e-5)
    assert x_decoded[0].reshape(28, 28).shape == (28, 28)
    predicted = vae.encoder.predict(x, verbose=0)
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(4, 2)] * 3
    np.testing.assert_allclose(predicted[0], to_numpy(theirs[0]), atol=1e-5)


def test_vae_trains_with_its_own_train_step(kt):
    keras, layers, ops = kt
    encoder, decoder, vae = build_vae(*kt)
    mnist_digits = digits()
    vae.compile(optimizer=keras.optimizers.Adam())
    history = vae.fit(mnist_digits, epochs=2, batch_size=32, verbose=0)
    assert sorted(history.history) == ["kl_loss", "loss", "reconstruction_loss"]
    h = history.history
    np.testing.assert_allclose(np.array(h["loss"]), np.array(h["reconstruction_loss"]) + np.array(h["kl_loss"]),
                               rtol=1e-5)
    assert h["loss"][1] < h["loss"][0]
    assert int(vae.optimizer.iterations) == 4
