"""keras.io example "Text classification with Transformer"
(examples/nlp/text_classification_with_transformer.py, Apoorv Nandan; Keras 3 port by Sitam Meur),
imports changed.

The IMDB download is replaced by random word-index sequences of varying length, padded with
keras.utils.pad_sequences as in the example; maxlen 200 and the 20k vocabulary are shortened
to 40 and 2000 so that a CPU run takes a second.
"""

import numpy as np

from .conftest import copy_weights, rng, to_numpy

vocab_size = 2000
maxlen = 40
embed_dim = 32
num_heads = 2
ff_dim = 32


def build_model(keras, layers, ops):
    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [
                    layers.Dense(ff_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def imdb_like(keras, n, seed):
    r = rng(seed)
    sequences = [list(r.integers(1, vocab_size, size=r.integers(5, 60))) for _ in range(n)]
    return keras.utils.pad_sequences(sequences, maxlen=maxlen), r.integers(0, 2, size=(n,))


def test_transformer_classifier_predicts_as_keras(kt, real):
    keras, layers, ops = kt
    model = build_model(*kt)
    theirs = build_model(*real)
    assert model.output_shape == (None, 2)
    assert model.count_params() == theirs.count_params()
    copy_weights(model, theirs)
    x_val, y_val = imdb_like(keras, 16, seed=41)
    # inference: every Dropout is inactive, so the two programs compute the same function
    np.testing.assert_allclose(model.predict(x_val, verbose=0), theirs.predict(x_val, verbose=0),
                               atol=1e-5)
    for m, k in ((model, keras), (theirs, real[0])):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(model.evaluate(x_val, y_val, verbose=0),
                               theirs.evaluate(x_val, y_val, verbose=0), rtol=1e-5)


def test_transformer_classifier_trains_with_validation_data(kt):
    keras, layers, ops = kt
    x_train, y_train = imdb_like(keras, 64, seed=42)
    x_val, y_val = imdb_like(keras, 16, seed=43)
    assert x_train.shape == (64, maxlen)
    model = build_model(*kt)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val),
                        verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    probabilities = model.predict(x_val, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
