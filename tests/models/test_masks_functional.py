"""Masks inside Functional models, against real Keras 3.

An `Embedding(mask_zero=True)` feeds a table of bodies (attention with the mask on the query,
the value or both, layers that pass a mask on, poolings that use it, recurrent layers): with
the same weights, predictions equal Keras' and the output carries a mask exactly where Keras'
does. And every layer of `keras.layers` that both libraries construct with simple arguments
has Keras' `supports_masking`.
"""

import inspect
import warnings

import numpy as np
import pytest
import torch

import kerastorch

keras = pytest.importorskip("keras")

IDS = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6], [7, 0, 0, 0, 0, 0]], "int32")


def _mha(L):
    return L.MultiHeadAttention(num_heads=2, key_dim=4)


def _gqa(L):
    return L.GroupQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1)


BODIES = {   # name -> body(layers, embedded) ; the embedded tensor carries the padding mask
    "mha_query_and_value_masked": lambda L, e: _mha(L)(e, e),
    "mha_query_masked_value_dense": lambda L, e: _mha(L)(e, L.Dense(8)(e)),
    "mha_value_masked_query_dense": lambda L, e: _mha(L)(L.Dense(8)(e), e),
    "mha_key_masked": lambda L, e: _mha(L)(L.Dense(8)(e), L.Dense(8)(e), e),
    "gqa_value_masked": lambda L, e: _gqa(L)(L.Dense(8)(e), e),
    "gqa_both_masked": lambda L, e: _gqa(L)(e, e),
    "mha_then_average": lambda L, e: L.GlobalAveragePooling1D()(_mha(L)(e, e)),
    "dense_then_average": lambda L, e: L.GlobalAveragePooling1D()(L.Dense(5)(e)),
    "rescaling_then_average": lambda L, e: L.GlobalAveragePooling1D()(L.Rescaling(2.0, offset=1.0)(e)),
    "normalization_then_average": lambda L, e: L.GlobalAveragePooling1D()(
        L.Normalization(mean=0.5, variance=4.0)(e)),
    "dense_then_lstm": lambda L, e: L.LSTM(3)(L.Dense(4)(e)),
    "attention_then_dense": lambda L, e: L.Dense(3)(L.Attention()([e, e])),
}


def _model(lib, body):
    L = lib.layers
    ids = lib.Input(shape=(6,), dtype="int32")
    embedded = L.Embedding(10, 8, mask_zero=True)(ids)
    return lib.Model(ids, BODIES[body](L, embedded))


@pytest.mark.parametrize("body", sorted(BODIES))
def test_masks_reach_layers_as_keras_passes_them(body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # Keras warns of layers that drop a mask (EinsumDense)
        keras.backend.clear_session(free_memory=False)
        k = _model(keras, body)
        kerastorch.utils.clear_session(False)
        m = _model(kerastorch, body)
        m.set_weights(k.get_weights())
        expected = keras.ops.convert_to_numpy(k(IDS))
    with torch.no_grad():
        got = m(torch.as_tensor(IDS)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(m.predict(IDS, verbose=0), expected, atol=1e-5)
    assert (getattr(m.output, "_keras_mask", None) is None) == (getattr(k.output, "_keras_mask", None) is None)


def test_padding_changes_attention_only_where_keras_masks():
    # A value mask must change what the unpadded queries see: the same ids padded with 0 (masked)
    # and with 9 (a real token) give different outputs, in both libraries alike.
    kerastorch.utils.clear_session(False)
    m = _model(kerastorch, "mha_value_masked_query_dense")
    padded = IDS.copy()
    real = np.where(IDS == 0, 9, IDS)
    with torch.no_grad():
        a = m(torch.as_tensor(padded)).numpy()
        b = m(torch.as_tensor(real)).numpy()
    assert np.abs(a[0, :3] - b[0, :3]).max() > 1e-4          # row 0 has 3 padded value steps
    np.testing.assert_allclose(a[2], b[2], atol=1e-6)        # row 2 has none


# --------------------------------------------------------------------------- supports_masking over the namespace
_SIMPLE_ARGS = {"units": 2, "rate": 0.1, "filters": 2, "kernel_size": 2, "num_heads": 1, "key_dim": 2,
                "head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1, "input_dim": 3, "output_dim": 2,
                "target_shape": (2,), "scale": 2.0, "height": 2, "width": 2, "activation": "relu", "size": 2,
                "n": 2, "dims": (1,), "cropping": 1, "padding": 1, "pool_size": 2, "stddev": 0.1,
                "factor": 0.1, "l1": 0.0, "equation": "ab,bc->ac", "output_shape": 2, "num_tokens": 3}


def _construct(cls, lib):
    kwargs = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD and name != "self":
            if name == "cell":
                kwargs[name] = lib.layers.SimpleRNNCell(2)
            elif name == "layer":
                kwargs[name] = lib.layers.Dense(2)
            elif name == "function":
                kwargs[name] = lambda x: x
            elif name in _SIMPLE_ARGS:
                kwargs[name] = _SIMPLE_ARGS[name]
            else:
                raise TypeError(f"no simple value for {name!r}")
    return cls(**kwargs)


def _layer_pairs():
    pairs = []
    for name in sorted(dir(keras.layers)):
        theirs, ours = getattr(keras.layers, name), getattr(kerastorch.layers, name, None)
        if inspect.isclass(theirs) and issubclass(theirs, keras.layers.Layer) and inspect.isclass(ours):
            pairs.append((name, theirs, ours))
    return pairs


def test_supports_masking_is_keras_for_every_layer_built_with_simple_arguments():
    checked, differ = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, theirs, ours in _layer_pairs():
            try:
                expected = _construct(theirs, keras).supports_masking
            except Exception:  # noqa: BLE001 - needs arguments this walk does not guess (or TensorFlow)
                continue
            got = _construct(ours, kerastorch).supports_masking
            checked.append(name)
            if got != expected:
                differ.append((name, expected, got))
    assert differ == []
    assert len(checked) > 100 and {"Dense", "GlobalAveragePooling1D", "Normalization", "Rescaling",
                                   "MultiHeadAttention", "GroupQueryAttention"} <= set(checked)
