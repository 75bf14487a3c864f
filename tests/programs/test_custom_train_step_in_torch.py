"""keras.io guide "Customizing what happens in fit() with PyTorch"
(guides/custom_train_step_in_torch.py, fchollet), imports changed.

The guide's models and train_step/test_step bodies are unchanged; the data is smaller
(200 samples instead of 1000, MNIST replaced by random 28x28 images).
"""

import numpy as np
import pytest
import torch

from .conftest import assert_history_close, copy_weights, rng, to_numpy


def custom_model_class(keras):
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)  # Forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def first_example(keras, x, y):
    CustomModel = custom_model_class(keras)
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def data(n=200):
    r = rng(10)
    return r.random((n, 32)), r.random((n, 1))


def test_first_example_trains_as_in_keras(kt, real):
    keras = kt[0]
    x, y = data()
    model = first_example(keras, x, y)
    theirs = first_example(real[0], x, y)
    copy_weights(model, theirs)
    # shuffle=False in both runs, so both see the same batches (the guide shuffles)
    history = model.fit(x, y, epochs=3, shuffle=False, verbose=0)
    real_history = theirs.fit(x, y, epochs=3, shuffle=False, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert_history_close(history.history, real_history.history)
    assert history.history["loss"][-1] < history.history["loss"][0]


def lower_level_model(keras):
    class CustomModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam")   # no loss or metrics
    return model


def test_lower_level_metrics_listed_in_the_metrics_property(kt, real):
    x, y = data()
    model, theirs = lower_level_model(kt[0]), lower_level_model(real[0])
    copy_weights(model, theirs)
    # the metrics listed in `metrics` are reset at each epoch: the per-epoch values equal Keras'
    history = model.fit(x, y, epochs=5, shuffle=False, verbose=0)
    real_history = theirs.fit(x, y, epochs=5, shuffle=False, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert_history_close(history.history, real_history.history)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_sample_weight_reaches_compute_loss(kt, real):
    keras = kt[0]

    def build(keras):
        class CustomModel(keras.Model):
            def train_step(self, data):
                if len(data) == 3:
                    x, y, sample_weight = data
                else:
                    sample_weight = None
                    x, y = data
                self.zero_grad()
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
                loss.backward()
                trainable_weights = [v for v in self.trainable_weights]
                gradients = [v.value.grad for v in trainable_weights]
                with torch.no_grad():
                    self.optimizer.apply(gradients, trainable_weights)
                for metric in self.metrics:
                    if metric.name == "loss":
                        metric.update_state(loss)
                    else:
                        metric.update_state(y, y_pred, sample_weight=sample_weight)
                return {m.name: m.result() for m in self.metrics}

        inputs = keras.Input(shape=(32,))
        outputs = keras.layers.Dense(1)(inputs)
        model = CustomModel(inputs, outputs)
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return model

    x, y = data()
    sw = rng(11).random((200, 1))
    model, theirs = build(keras), build(real[0])
    copy_weights(model, theirs)
    history = model.fit(x, y, sample_weight=sw, epochs=3, shuffle=False, verbose=0)
    real_history = theirs.fit(x, y, sample_weight=sw, epochs=3, shuffle=False, verbose=0)
    assert_history_close(history.history, real_history.history)


def test_custom_test_step_in_evaluate(kt, real):
    def build(keras):
        class CustomModel(keras.Model):
            def test_step(self, data):
                x, y = data
                y_pred = self(x, training=False)
                loss = self.compute_loss(y=y, y_pred=y_pred)
                for metric in self.metrics:
                    if metric.name == "loss":
                        metric.update_state(loss)
                    else:
                        metric.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

        inputs = keras.Input(shape=(32,))
        outputs = keras.layers.Dense(1)(inputs)
        model = CustomModel(inputs, outputs)
        model.compile(loss="mse", metrics=["mae"])
        return model

    x, y = data()
    model, theirs = build(kt[0]), build(real[0])
    copy_weights(model, theirs)
    ours = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(ours) == sorted(expected) == ["loss", "mae"]
    for key in expected:
        np.testing.assert_allclose(ours[key], expected[key], rtol=1e-5)
    # by hand: the loss tracker averages the 7 batch losses (32 x 6 + 8), unweighted
    pred = x.astype("float32") @ to_numpy(model.weights[0]) + to_numpy(model.weights[1])
    batch_losses = [np.mean((pred[i:i + 32] - y[i:i + 32]) ** 2) for i in range(0, 200, 32)]
    np.testing.assert_allclose(ours["loss"], np.mean(batch_losses), rtol=1e-5)


def gan_program(keras, layers, ops, dataloader):
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    latent_dim = 128
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.seed_generator = keras.random.SeedGenerator(1337)
            self.built = True

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn

        def train_step(self, real_images):
            device = "cuda" if torch.cuda.is_available() else "cpu"
            if isinstance(real_images, tuple):
                real_images = real_images[0]
            batch_size = real_images.shape[0]
            random_latent_vectors = keras.random.normal(
                shape=(batch_size, self.latent_dim), seed=self.seed_generator
            )
            generated_images = self.generator(random_latent_vectors)
            real_images = torch.tensor(real_images, device=device)
            combined_images = torch.concat([generated_images, real_images], axis=0)
            labels = torch.concat(
                [
                    torch.ones((batch_size, 1), device=device),
                    torch.zeros((batch_size, 1), device=device),
                ],
                axis=0,
            )
            labels += 0.05 * keras.random.uniform(labels.shape, seed=self.seed_generator)

            self.zero_grad()
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
            d_loss.backward()
            grads = [v.value.grad for v in self.discriminator.trainable_weights]
            with torch.no_grad():
                self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

            random_latent_vectors = keras.random.normal(
                shape=(batch_size, self.latent_dim), seed=self.seed_generator
            )
            misleading_labels = torch.zeros((batch_size, 1), device=device)

            self.zero_grad()
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
            grads = g_loss.backward()
            grads = [v.value.grad for v in self.generator.trainable_weights]
            with torch.no_grad():
                self.g_optimizer.apply(grads, self.generator.trainable_weights)

            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {
                "d_loss": self.d_loss_tracker.result(),
                "g_loss": self.g_loss_tracker.result(),
            }

    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    history = gan.fit(dataloader, epochs=1, verbose=0)
    return gan, history


@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")   # the guide's torch.tensor(real_images)
def test_gan_trains_from_a_dataloader(kt):
    keras, layers, ops = kt
    all_digits = rng(12).random((32, 28, 28, 1)).astype("float32")
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(all_digits), torch.from_numpy(all_digits))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True)
    gan, history = gan_program(keras, layers, ops, dataloader)
    assert sorted(history.history) == ["d_loss", "g_loss"]
    assert all(np.isfinite(history.history[k][0]) for k in ("d_loss", "g_loss"))
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 2
    generated = gan.generator.predict(np.zeros((2, 128), "float32"), verbose=0)
    assert generated.shape == (2, 28, 28, 1)
    assert ((generated >= 0) & (generated <= 1)).all()
