"""keras.io guide "The Functional API" (guides/functional_api.py, fchollet), imports changed.

The MNIST and CIFAR10 downloads are replaced by small seeded random arrays of the same
per-sample shapes; plot_model calls are left out (they draw, they do not build or train).
"""

import numpy as np
import pytest

from .conftest import assert_history_close, copy_weights, rng, to_numpy


def mnist_mlp(keras, layers, ops):
    inputs = keras.Input(shape=(784,))
    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def compile_and_fit(model, keras, x_train, y_train, x_test, y_test, **fit_kwargs):
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2,
                        verbose=0, **fit_kwargs)
    test_scores = model.evaluate(x_test, y_test, verbose=0)
    return history, test_scores


def mnist_like(n):
    r = rng(1)
    x = r.integers(0, 256, size=(n, 28, 28)).astype("uint8")
    y = r.integers(0, 10, size=(n,)).astype("uint8")
    return x.reshape(n, 784).astype("float32") / 255, y


def test_mnist_mlp_trains_as_in_keras(kt, real):
    keras, layers, ops = kt
    x_train, y_train = mnist_like(320)
    x_test, y_test = mnist_like(64)
    model = mnist_mlp(*kt)
    assert model.name == "mnist_model" and model.output_shape == (None, 10)
    assert model.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10

    theirs = mnist_mlp(*real)
    copy_weights(model, theirs)
    # shuffle=False in both runs, so both see the same batches (the guide shuffles)
    history, scores = compile_and_fit(model, keras, x_train, y_train, x_test, y_test, shuffle=False)
    real_history, real_scores = compile_and_fit(theirs, real[0], x_train, y_train, x_test, y_test,
                                                shuffle=False)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert_history_close(history.history, real_history.history)
    np.testing.assert_allclose(scores, real_scores, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(model.predict(x_test, verbose=0), theirs.predict(x_test, verbose=0),
                               atol=1e-4, rtol=1e-4)


def test_saved_model_is_recreated_from_the_file(kt, tmp_path):
    keras, layers, ops = kt
    x_train, y_train = mnist_like(128)
    model = mnist_mlp(*kt)
    compile_and_fit(model, keras, x_train, y_train, x_train[:32], y_train[:32])
    path = str(tmp_path / "path_to_my_model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x_train, verbose=0), model.predict(x_train, verbose=0),
                               atol=1e-6)
    assert int(restored.optimizer.iterations) == int(model.optimizer.iterations) == 4


def encoder_decoder(keras, layers, ops):
    encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")

    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(decoder_input)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
    decoder = keras.Model(decoder_input, decoder_output, name="decoder")

    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    return encoder, decoder, autoencoder


def test_models_nest_like_layers_and_match_keras(kt, real):
    encoder, decoder, autoencoder = encoder_decoder(*kt)
    assert encoder.output_shape == (None, 16)
    assert decoder.output_shape == autoencoder.output_shape == (None, 28, 28, 1)
    assert [layer.name for layer in autoencoder.layers] == ["img", "encoder", "decoder"]
    # the nested models' weights are the autoencoder's weights
    assert len(autoencoder.weights) == len(encoder.weights) + len(decoder.weights) == 16

    _, _, theirs = encoder_decoder(*real)
    copy_weights(autoencoder, theirs)
    images = rng(2).random((4, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(to_numpy(autoencoder(images)), to_numpy(theirs(images)), atol=1e-5)


def test_ensemble_averages_three_models(kt):
    keras, layers, ops = kt

    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    model1 = get_model()
    model2 = get_model()
    model3 = get_model()

    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)

    x = rng(3).random((5, 128)).astype("float32")
    expected = np.mean([m.predict(x, verbose=0) for m in (model1, model2, model3)], axis=0)
    np.testing.assert_allclose(ensemble_model.predict(x, verbose=0), expected, atol=1e-5)


def toy_resnet(keras, layers, ops):
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)

    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])

    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])

    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def test_toy_resnet_trains_with_validation_split(kt, real):
    keras, layers, ops = kt
    model = toy_resnet(*kt)
    assert model.count_params() == toy_resnet(*real).count_params() == 223242

    r = rng(4)
    x_train = r.integers(0, 256, size=(40, 32, 32, 3)).astype("float32") / 255.0
    y_train = keras.utils.to_categorical(r.integers(0, 10, size=(40, 1)), 10)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    history = model.fit(x_train, y_train, batch_size=16, epochs=1, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert np.isfinite(history.history["loss"][0])


def test_shared_embedding_encodes_both_inputs(kt):
    keras, layers, ops = kt
    shared_embedding = layers.Embedding(1000, 128)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    assert encoded_input_a.shape == encoded_input_b.shape == (None, None, 128)

    model = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
    assert len(model.weights) == 1   # one table, used twice
    a, b = model([np.array([[1, 2, 3]]), np.array([[3, 2]])])
    table = to_numpy(shared_embedding.embeddings)
    np.testing.assert_allclose(to_numpy(a)[0], table[[1, 2, 3]])
    np.testing.assert_allclose(to_numpy(b)[0], table[[3, 2]])


def custom_dense_class(keras, layers, ops):
    class CustomDense(layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(
                shape=(self.units,), initializer="random_normal", trainable=True
            )

        def call(self, inputs):
            # the guide's tf.matmul, as keras.ops.matmul
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    return CustomDense


def test_custom_layer_serializes_through_model_config(kt, real):
    keras, layers, ops = kt
    CustomDense = custom_dense_class(*kt)
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert new_model.output_shape == (None, 10)
    assert [tuple(w.shape) for w in new_model.weights] == [(4, 10), (10,)]

    # the same config as Keras writes for the same program (names aside)
    RealDense = custom_dense_class(*real)
    real_inputs = real[0].Input((4,))
    real_model = real[0].Model(real_inputs, RealDense(10)(real_inputs))
    copy_weights(model, real_model)
    x = rng(5).random((3, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(new_model(x)).shape, (3, 10))
    np.testing.assert_allclose(to_numpy(model(x)), to_numpy(real_model(x)), atol=1e-5)
    assert [layer["class_name"] for layer in config["layers"]] == [
        layer["class_name"] for layer in real_model.get_config()["layers"]]


def custom_rnn_class(keras, layers, ops, units):
    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            self.classifier = layers.Dense(1)

        def call(self, inputs):
            outputs = []
            # the guide's tf.zeros / tf.stack, as keras.ops
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            return self.classifier(features)

    return CustomRNN


def test_custom_rnn_layer_in_a_functional_model(kt, real):
    keras, layers, ops = kt
    units, timesteps, input_dim, batch_size = 32, 10, 5, 16
    CustomRNN = custom_rnn_class(keras, layers, ops, units)
    inputs = keras.Input(batch_shape=(batch_size, timesteps, input_dim))
    x = layers.Conv1D(32, 3)(inputs)
    outputs = CustomRNN()(x)
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (16, 8, 1)

    rnn_model = CustomRNN()
    assert tuple(rnn_model(ops.zeros((1, 10, 5))).shape) == (1, 10, 1)

    RealRNN = custom_rnn_class(*real, units)
    real_inputs = real[0].Input(batch_shape=(batch_size, timesteps, input_dim))
    theirs = real[0].Model(real_inputs, RealRNN()(real[1].Conv1D(32, 3)(real_inputs)))
    copy_weights(model, theirs)
    data = rng(6).random((batch_size, timesteps, input_dim)).astype("float32")
    np.testing.assert_allclose(to_numpy(model(data)), to_numpy(theirs(data)), atol=1e-5)


# --- multi-input / multi-output: the ticket-routing model -----------------------------------

def ticket_model(keras, layers, ops, num_tags=12, num_words=1000, num_departments=4):
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input],
                       outputs=[priority_pred, department_pred])


def ticket_data(num_tags=12, num_words=1000, num_departments=4, n=64):   # the guide: 10000 words, 1280 samples
    r = rng(7)
    title_data = r.integers(0, num_words, size=(n, 10))
    body_data = r.integers(0, num_words, size=(n, 20))    # the guide's 100 words, shortened
    tags_data = r.integers(0, 2, size=(n, num_tags)).astype("float32")
    priority_targets = r.random(size=(n, 1))
    dept_targets = r.integers(0, 2, size=(n, num_departments))
    return title_data, body_data, tags_data, priority_targets, dept_targets


def fit_ticket_model(model, keras, data, as_dicts):
    title_data, body_data, tags_data, priority_targets, dept_targets = data
    if as_dicts:
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss={
                "priority": keras.losses.BinaryCrossentropy(from_logits=True),
                "department": keras.losses.CategoricalCrossentropy(from_logits=True),
            },
            loss_weights={"priority": 1.0, "department": 0.2},
        )
        return model.fit(
            {"title": title_data, "body": body_data, "tags": tags_data},
            {"priority": priority_targets, "department": dept_targets},
            epochs=2, batch_size=32, shuffle=False, verbose=0)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.BinaryCrossentropy(from_logits=True),
            keras.losses.CategoricalCrossentropy(from_logits=True),
        ],
        loss_weights=[1.0, 0.2],
    )
    return model.fit([title_data, body_data, tags_data], [priority_targets, dept_targets],
                     epochs=2, batch_size=32, shuffle=False, verbose=0)


@pytest.mark.parametrize("as_dicts", [False, True], ids=["lists", "dicts"])
def test_multi_input_multi_output_model_trains_as_in_keras(kt, real, as_dicts):
    keras, layers, ops = kt
    model = ticket_model(*kt)
    assert model.output_shape == [(None, 1), (None, 4)]
    theirs = ticket_model(*real)
    copy_weights(model, theirs)
    data = ticket_data()
    # shuffle=False in both runs, so both see the same batches
    history = fit_ticket_model(model, keras, data, as_dicts)
    real_history = fit_ticket_model(theirs, real[0], data, as_dicts)
    assert_history_close(history.history, real_history.history)
    ours = model.predict(list(data[:3]), verbose=0)
    expected = theirs.predict(list(data[:3]), verbose=0)
    assert isinstance(ours, list) and len(ours) == 2
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)
