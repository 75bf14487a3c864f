"""`kerastorch.ops.nn` against real Keras 3 (torch backend), over tables of cases.

Every activation runs on floats (with gradients), float64, 0-d inputs, lists and its non-default
arguments, then through a dtype sweep (ints, bools, float16, ...) where kerastorch must give Keras'
values and dtypes, or refuse with an error naming the op where Keras refuses. Convolutions, pooling,
normalizations, crossentropies, CTC, attention, encodings and block rearrangements each have a
table over ranks, data formats, paddings, strides, dilations, axes and dtypes, with gradients.
The places where kerastorch follows fixed Keras (or TensorFlow/JAX) instead of Keras 3.15.1's torch
backend are tested against hand-computed or brute-force oracles in test_nn_oracles.py.
"""

import doctest
import importlib
import inspect
import warnings

import numpy as np
import pytest
import torch

from tests.ops.harness import (Case, assert_every_name_has_a_case, bools, check, floats, ints, keras,
                               keras_names, positive)

from kerastorch import ops  # noqa: E402

FAMILIES = ["__init__", "activations", "attention", "convolution", "ctc", "encoding", "losses",
            "normalization", "pooling", "reshaping"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: torch's thread pool only costs time here (badly so on a loaded machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ------------------------------------------------------------------------------ activations
# name -> (non-default keyword variants, differentiable)
ACTIVATIONS = {
    "relu": [], "relu6": [], "sigmoid": [], "sparse_sigmoid": [], "softplus": [], "softsign": [],
    "soft_shrink": [{"threshold": 1.0}], "sparse_plus": [], "silu": [], "swish": [],
    "squareplus": [{"b": 1}, {"b": 0.5}], "log_sigmoid": [], "leaky_relu": [{"negative_slope": 0.05}],
    "hard_sigmoid": [], "hard_silu": [], "hard_swish": [], "elu": [{"alpha": 0.5}], "selu": [],
    "gelu": [{"approximate": False}], "celu": [{"alpha": 2.0}], "glu": [{"axis": 0}, {"axis": -2}],
    "tanh_shrink": [], "hard_tanh": [], "hard_shrink": [{"threshold": 1.0}],
    "softmax": [{"axis": 0}, {"axis": (0, 1)}, {"axis": (1, 0)}, {"axis": None}],
    "log_softmax": [{"axis": 0}, {"axis": (0, 1)}, {"axis": None}],
}
# sparsemax: Keras 3.15.1 agrees with the published definition only where the support has one
# element (keras-team/keras#23425); these inputs have one dominant entry per row.
_DOMINANT = floats(4, 6) + 6.0 * np.eye(4, 6, dtype="float32")

CASES = []
for name, variants in ACTIVATIONS.items():
    CASES += [
        Case(name, (floats(4, 6),), grad=True),
        Case(name, (floats(2, 3, 4),), grad=True),
        Case(name, (floats(4, 2, dtype="float64"),), grad=True),
    ]
    if name != "softmax":       # Keras' softmax reads x.shape first, so it refuses lists
        CASES.append(Case(name, ([[float(v) for v in floats(4)]] * 2,), label="list"))
    if name not in ("glu", "softmax", "log_softmax"):
        CASES.append(Case(name, (np.asarray(floats(1)[0]),), grad=True, label="0-d"))
    CASES += [Case(name, (floats(4, 6),), kw, grad=True) for kw in variants]
CASES += [
    Case("threshold", (floats(4, 6), 0.5, -2.0), grad=True),
    Case("threshold", (floats(3, dtype="float64"),), {"threshold": -0.5, "default_value": 7.0}, grad=True),
    Case("threshold", (ints(3, 4), 1, 0)),
    Case("sparsemax", (_DOMINANT,), grad=True),
    Case("sparsemax", (_DOMINANT.T.copy(),), {"axis": 0}, grad=True),
    Case("sparsemax", (np.array([[3, 0, -1], [-2, 5, 1]], dtype="int32"),)),
    Case("softmax", (floats(3, 4, dtype="float16"),), rtol=1e-3, atol=1e-3, label="float16"),
    Case("log_softmax", (floats(3, 4, dtype="float16"),), {"axis": None}, rtol=1e-3, atol=1e-3),
]

# ------------------------------------------------------------------------------ convolutions
def _conv_cases():
    out = []
    spatial = {1: (7,), 2: (6, 5), 3: (4, 5, 4)}
    for rank, shape in spatial.items():
        for fmt in ("channels_last", "channels_first"):
            x_shape = (2, *shape, 3) if fmt == "channels_last" else (2, 3, *shape)
            x = floats(*x_shape)
            for kw in ({}, {"strides": 2, "padding": "same"}, {"padding": "same"},
                       {"strides": 2}, {"dilation_rate": 2, "padding": "same"},
                       {"strides": (1,) * (rank - 1) + (2,), "padding": "SAME"}):
                kwargs = {"data_format": fmt, **kw}
                k = (3,) * rank
                out.append(Case("conv", (x, floats(*k, 3, 4)), kwargs, grad=True, rtol=1e-5, atol=1e-5))
                out.append(Case("depthwise_conv", (x, floats(*k, 3, 2)), kwargs, grad=True, rtol=1e-5,
                                atol=1e-5))
                if "dilation_rate" not in kw:
                    out.append(Case("separable_conv", (x, floats(*k, 3, 2), floats(*(1,) * rank, 6, 4)),
                                    kwargs, grad=True, rtol=1e-5, atol=1e-5))
            for kw in ({}, {"strides": 2}, {"strides": 2, "padding": "same"}, {"padding": "same"},
                       {"strides": 2, "output_padding": 1}, {"strides": 3, "padding": "same",
                                                              "output_padding": 2},
                       {"dilation_rate": 2}, {"strides": 2, "padding": "same", "output_padding": 0}):
                size = 2 if kw.get("strides") == 3 else 3
                kernel = floats(*((size,) * rank), 5, 3)
                out.append(Case("conv_transpose", (x, kernel), {"data_format": fmt, **kw}, grad=True,
                                rtol=1e-5, atol=1e-5))
    x = floats(2, 6, 6, 4)
    out += [
        Case("conv", (x, floats(3, 3, 2, 6)), grad=True, rtol=1e-5, atol=1e-5, label="groups=2"),
        Case("conv", (x, floats(2, 2, 1, 4)), {"padding": "same"}, grad=True, rtol=1e-5, atol=1e-5,
             label="depthwise groups"),
        Case("conv", (floats(2, 6, 6, 4, dtype="float64"), floats(3, 3, 4, 2, dtype="float64")),
             {"strides": 2, "padding": "same"}, grad=True),
        Case("conv", (floats(1, 8, 2), floats(4, 2, 3)), {"strides": 3, "padding": "same",
                                                          "dilation_rate": 1}, grad=True, rtol=1e-5,
             atol=1e-5),
        Case("conv_transpose", (floats(1, 4, 4, 2, dtype="float64"), floats(4, 4, 3, 2, dtype="float64")),
             {"strides": 2, "padding": "same"}, grad=True),
        Case("depthwise_conv", (floats(1, 7, 7, 2), floats(3, 3, 2, 1)), {"strides": 2, "padding": "same"},
             grad=True, rtol=1e-5, atol=1e-5),
    ]
    return out


def _pool_cases():
    out = []
    spatial = {1: (8,), 2: (6, 7), 3: (4, 6, 5)}
    for rank, shape in spatial.items():
        for fmt in ("channels_last", "channels_first"):
            x = floats(2, *shape, 3) if fmt == "channels_last" else floats(2, 3, *shape)
            for name in ("max_pool", "average_pool"):
                for pool, kw in ((2, {}), (3, {"strides": 1}), (2, {"strides": 1, "padding": "valid"}),
                                 (3, {"strides": 2}), (3, {"padding": "same", "strides": 1}),
                                 ((2,) * rank, {"strides": (2,) * rank})):
                    out.append(Case(name, (x, pool), {"data_format": fmt, **kw}, grad=True))
                # "same" with asymmetric padding: Keras' replicate padding equals ours for max only.
                if name == "max_pool":
                    out.append(Case(name, (x, 2), {"data_format": fmt, "padding": "same"}, grad=True))
                    out.append(Case(name, (x, 4), {"data_format": fmt, "padding": "same", "strides": 3},
                                    grad=True))
            for name in ("adaptive_max_pool", "adaptive_average_pool"):
                for size in (1, 2, 3, tuple(range(2, 2 + rank))):
                    out.append(Case(name, (x, size), {"data_format": fmt}, grad=True))
    out += [
        Case("average_pool", (floats(2, 7, 7, 3), 3), {"strides": 2, "padding": "same"}, grad=True,
             label="symmetric same"),
        Case("max_pool", (floats(2, 5, 5, 2, dtype="float64"), 2), {"padding": "same"}, grad=True),
        Case("average_pool", (floats(1, 6, 2, dtype="float64"), 2), grad=True),
        Case("adaptive_average_pool", (floats(1, 7, 5, 2, dtype="float64"), (3, 2)), grad=True),
    ]
    return out


def _reshaping_cases():
    out = []
    for kw in ({}, {"stride": 2}, {"padding": 1}, {"dilation": 2}, {"stride": (1, 2), "padding": (1, 0)}):
        out.append(Case("unfold", (floats(2, 3, 6, 5), 2), kw, grad=True))
        out.append(Case("unfold", (floats(2, 3, 6, 5), (3, 2)), kw, grad=True))
    out += [
        Case("fold", (floats(2, 12, 20), (5, 6), 2), grad=True),
        Case("fold", (floats(1, 8, 6), (4, 6), 2), {"stride": 2}, grad=True),
        Case("fold", (floats(1, 4, 20), (3, 4), (2, 2)), {"padding": 1}, grad=True),
        Case("fold", (floats(1, 6, 4), 4, (3, 1)), {"dilation": (1, 2), "stride": (1, 2)}, grad=True),
    ]
    for block in (2, 3):
        for fmt in ("channels_last", "channels_first"):
            last = fmt == "channels_last"
            deep = floats(2, 2, 3, 2 * block ** 2) if last else floats(2, 2 * block ** 2, 2, 3)
            wide = floats(2, 2 * block, 3 * block, 2) if last else floats(2, 2, 2 * block, 3 * block)
            out.append(Case("depth_to_space", (deep, block), {"data_format": fmt}, grad=True))
            out.append(Case("space_to_depth", (wide, block), {"data_format": fmt}, grad=True))
    out += [Case("depth_to_space", (ints(1, 2, 2, 8), 2)), Case("space_to_depth", (ints(1, 4, 4, 1), 2))]
    return out


CASES += _conv_cases() + _pool_cases() + _reshaping_cases()

# ------------------------------------------------------------------------------ losses
_PROBS = positive(4, 5)
_TARGET = np.eye(5, dtype="float32")[[0, 3, 1, 4]]
CASES += [
    # targets as lists: Keras' non-logits binary crossentropy has no gradient for them.
    Case("binary_crossentropy", ((_TARGET > 0).astype("float32").tolist(), _PROBS / 3.1), grad=True),
    Case("binary_crossentropy", ((_TARGET * 0.7).tolist(), floats(4, 5)), {"from_logits": True}, grad=True),
    Case("binary_crossentropy", (_TARGET * 0.7, floats(4, 5)), {"from_logits": True}, grad=True,
         label="target grad"),
    Case("binary_crossentropy", ([[0.0, 1.0, 1.0]], [[0.0, 1.0, 0.5]]), label="clipped"),
    Case("binary_crossentropy", (_TARGET.astype("float64"), (_PROBS / 3.1).astype("float64"))),
    Case("categorical_crossentropy", (_TARGET, _PROBS), grad=True),
    Case("categorical_crossentropy", (_TARGET * 0.8 + 0.04, floats(4, 5)), {"from_logits": True}, grad=True),
    Case("categorical_crossentropy", (_TARGET.T.copy(), _PROBS.T.copy()), {"axis": 0}, grad=True),
    Case("categorical_crossentropy", (_TARGET.reshape(2, 2, 5), floats(2, 2, 5)),
         {"from_logits": True, "axis": -1}, grad=True),
    Case("categorical_crossentropy", (_TARGET[0], _PROBS[0]), grad=True, label="1-D"),
    Case("categorical_crossentropy", (_TARGET.astype("float64"), _PROBS), grad=True, label="mixed dtypes"),
    Case("sparse_categorical_crossentropy", (np.array([0, 3, 1, 4]), _PROBS), grad=True),
    Case("sparse_categorical_crossentropy", (np.array([0, 3, 1, 4], "int32"), floats(4, 5)),
         {"from_logits": True}, grad=True),
    Case("sparse_categorical_crossentropy", (np.array([[0], [3], [1], [4]]), floats(4, 5)),
         {"from_logits": True}, grad=True, label="trailing 1"),
    Case("sparse_categorical_crossentropy", (np.array([0, 3, 1, 4]), _PROBS.T.copy()), {"axis": 0},
         grad=True),
    Case("sparse_categorical_crossentropy", (ints(2, 3, low=0, high=4), floats(2, 3, 4)),
         {"from_logits": True}, grad=True),
    Case("sparse_categorical_crossentropy", (ints(2, 3, low=0, high=4), positive(2, 4, 3)),
         {"axis": 1}, grad=True),
    Case("sparse_categorical_crossentropy", (np.array(2), _PROBS[0]), grad=True, label="1-D"),
    Case("sparse_categorical_crossentropy", ([1.0, 2.0], floats(2, 3)), {"from_logits": True},
         label="float ids"),
    Case("psnr", (positive(2, 4, 4, 3), positive(2, 4, 4, 3), 3.0), grad=True),
    Case("psnr", (positive(8, dtype="float64"), positive(8, dtype="float64"), 1.0), grad=True),
]

# ------------------------------------------------------------------------------ CTC
_CTC_LOGITS = floats(3, 8, 5, low=-3, high=3)
_CTC_TARGET = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 1, 2]], dtype="int32")
CASES += [
    Case("ctc_loss", (_CTC_TARGET, _CTC_LOGITS, np.array([3, 2, 4]), np.array([8, 6, 8])), grad=True,
         rtol=1e-5, atol=1e-5),
    Case("ctc_loss", (_CTC_TARGET + 0, _CTC_LOGITS, np.array([3, 2, 4]), np.array([8, 6, 8])),
         {"mask_index": 4}, grad=True, rtol=1e-5, atol=1e-5, label="blank 4"),
    Case("ctc_loss", (_CTC_TARGET, _CTC_LOGITS.astype("float64"), np.array([3, 2, 4], "int32"),
                      np.array([8, 8, 8], "int32")), grad=True),
    Case("ctc_decode", (_CTC_LOGITS, np.array([8, 5, 7]))),
    Case("ctc_decode", (_CTC_LOGITS, np.array([8, 5, 7])), {"merge_repeated": False}),
    Case("ctc_decode", (_CTC_LOGITS, np.array([8, 8, 3])), {"mask_index": None}),
    Case("ctc_decode", (_CTC_LOGITS, np.array([8, 8, 3])), {"mask_index": 2}),
    Case("ctc_decode", (np.repeat(_CTC_LOGITS, 2, axis=1), np.array([16, 9, 12])), label="repeats"),
]
for kw in ({"beam_width": 3}, {"beam_width": 10, "top_paths": 3}, {"beam_width": 5, "top_paths": 2,
                                                                      "mask_index": 4},
           {"beam_width": 20, "top_paths": 4, "mask_index": None}, {"beam_width": 1}):
    CASES.append(Case("ctc_decode", (_CTC_LOGITS, np.array([8, 5, 7])), {"strategy": "beam_search", **kw},
                      rtol=1e-5, atol=1e-5))
CASES.append(Case("ctc_decode", (floats(2, 12, 4, low=-2, high=2), np.array([12, 10])),
                  {"strategy": "beam_search", "beam_width": 8, "top_paths": 3}, rtol=1e-5, atol=1e-5))

# ------------------------------------------------------------------------------ attention
_Q, _K, _V = floats(2, 5, 4, 8), floats(2, 7, 4, 8), floats(2, 7, 4, 6)
_MASK = bools(2, 4, 5, 7)
_MASK[..., 0] = True            # every query sees at least one key
CASES += [
    Case("dot_product_attention", (_Q, _K, _V), grad=True, rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q, _K, _V), {"scale": 0.3}, grad=True, rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q, _K, _V), {"is_causal": True}, grad=True, rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q, _K, _V), {"mask": _MASK}, grad=True, rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q, _K, _V), {"mask": _MASK[:, :1], "is_causal": True}, grad=True,
         rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q, _K, _V), {"bias": floats(2, 4, 5, 7)}, grad=True, rtol=1e-5,
         atol=1e-5),
    Case("dot_product_attention", (_Q, _K, _V), {"bias": floats(1, 1, 5, 7), "scale": 1.0}, grad=True,
         rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q, _K[:, :, :2], _V[:, :, :2]), grad=True, rtol=1e-5, atol=1e-5,
         label="grouped query"),
    Case("dot_product_attention", (_Q, _K[:, :, :1], _V[:, :, :1]), grad=True, rtol=1e-5, atol=1e-5,
         label="one kv head"),
    Case("dot_product_attention", (_Q.astype("float64"), _K.astype("float64"), _V.astype("float64")),
         {"is_causal": True}, grad=True),
    Case("dot_product_attention", (_Q, _K, _V), {"flash_attention": False}, grad=True, rtol=1e-5, atol=1e-5),
    Case("dot_product_attention", (_Q.astype("float16"), _K.astype("float16"), _V.astype("float16")),
         rtol=1e-3, atol=1e-3),
]

# ------------------------------------------------------------------------------ normalization
_X3 = floats(3, 4, 5)
CASES += [
    Case("moments", (_X3, [0, 1]), grad=True, rtol=1e-5, atol=1e-5),
    Case("moments", (_X3, -1), {"keepdims": True}, grad=True, rtol=1e-5, atol=1e-5),
    Case("moments", (_X3, (0, 2)), {"keepdims": True}, grad=True, rtol=1e-5, atol=1e-5),
    Case("moments", (_X3, [0, 1, 2]), grad=True, rtol=1e-5, atol=1e-5),
    Case("moments", (floats(6, 2, dtype="float64"), 0), grad=True),
    Case("moments", (floats(4, 3, dtype="float16") * 50, [0]), rtol=1e-3, atol=1e-2),
    Case("batch_normalization", (_X3, floats(5), positive(5), -1), grad=True),
    Case("batch_normalization", (_X3, floats(4), positive(4), 1), {"offset": floats(4), "scale": floats(4)},
         grad=True),
    Case("batch_normalization", (_X3, floats(3), positive(3), 0), {"scale": floats(3), "epsilon": 0.1},
         grad=True),
    Case("batch_normalization", (floats(2, 3, dtype="float64"), floats(3, dtype="float64"),
                                 positive(3, dtype="float64"), -1), {"offset": floats(3, dtype="float64")},
         grad=True),
    Case("layer_normalization", (_X3,), grad=True, rtol=1e-5, atol=1e-5),
    Case("layer_normalization", (_X3, positive(5), floats(5)), grad=True, rtol=1e-5, atol=1e-5),
    Case("layer_normalization", (_X3, positive(4, 5), floats(4, 5)), {"axis": (-2, -1)}, grad=True,
         rtol=1e-5, atol=1e-5),
    Case("layer_normalization", (_X3, positive(3, 5), floats(3, 5)), {"axis": [0, 2], "epsilon": 1e-3},
         grad=True, rtol=1e-5, atol=1e-5, label="non-contiguous axes"),
    Case("layer_normalization", (_X3, None, None), {"axis": (2, 1)}, grad=True, rtol=1e-5, atol=1e-5),
    Case("layer_normalization", (_X3, positive(5)), {"epsilon": 0.5}, grad=True, rtol=1e-5, atol=1e-5),
    Case("layer_normalization", (floats(4, 6, dtype="float16"),), rtol=1e-3, atol=1e-3),
    Case("layer_normalization", (floats(4, 6, dtype="float64"),), grad=True),
    Case("layer_normalization", (ints(3, 4) * 10,), label="ints"),
    Case("rms_normalization", (_X3,), grad=True, rtol=1e-5, atol=1e-5),
    Case("rms_normalization", (_X3, positive(5)), grad=True, rtol=1e-5, atol=1e-5),
    Case("rms_normalization", (_X3, positive(4, 5)), {"axis": (1, 2), "epsilon": 1e-2}, grad=True,
         rtol=1e-5, atol=1e-5),
    Case("rms_normalization", (_X3, None), {"axis": (0, 2)}, grad=True, rtol=1e-5, atol=1e-5,
         label="non-contiguous axes"),
    Case("rms_normalization", (floats(4, 6, dtype="float16"),), rtol=1e-3, atol=1e-3),
    Case("rms_normalization", (floats(4, 6, dtype="float64"),), grad=True),
    Case("normalize", (_X3,), grad=True, rtol=1e-5, atol=1e-5),
    Case("normalize", (_X3,), {"axis": 0}, grad=True, rtol=1e-5, atol=1e-5),
    Case("normalize", (_X3,), {"axis": (0, 1)}, grad=True, rtol=1e-5, atol=1e-5),
    Case("normalize", (_X3,), {"order": 1}, grad=True, rtol=1e-5, atol=1e-5),
    Case("normalize", (_X3,), {"order": 3, "axis": 1}, grad=True, rtol=1e-5, atol=1e-5),
    Case("normalize", (floats(4, dtype="float64"),), {"epsilon": 10.0}, grad=True),
    Case("normalize", (np.zeros((2, 3), "float32"),), label="zeros"),
    Case("normalize", (ints(3, 4),), rtol=1e-5, atol=1e-5, label="ints"),
    Case("normalize", (ints(3, 4),), {"order": 1}, rtol=1e-5, atol=1e-5, label="ints"),
    Case("normalize", (np.asarray(floats(1)[0]),), label="0-d"),
]

# ------------------------------------------------------------------------------ encodings
_IDS = np.array([[1, 0, 3], [2, -1, 1]], dtype="int32")
CASES += [Case("one_hot", (_IDS, 4), {"axis": axis, "dtype": dtype})
          for axis in (-1, 0, 1, 2) for dtype in (None, "int32", "bool", "float16", "float64")]
CASES += [
    Case("one_hot", (np.array([0, 2, 1]), 3)),
    Case("one_hot", ([1.9, 0.2], 3), label="float ids"),
    Case("one_hot", (np.array(2), 5), label="0-d"),
    Case("multi_hot", (_IDS, 4)),
    Case("multi_hot", (_IDS, 4), {"dtype": "int32"}),
    Case("multi_hot", (_IDS, 4), {"dtype": "bool"}),
    Case("multi_hot", (_IDS, 4), {"axis": 0}),
    Case("multi_hot", (_IDS, 5), {"axis": 1, "dtype": "float64"}),
    Case("multi_hot", (np.array([0, 2, 2]), 3)),
    Case("multi_hot", (np.array([0, 2, 2]), 3), {"axis": 0}),
    Case("multi_hot", (ints(2, 3, 4, low=0, high=5), 5)),
    Case("multi_hot", (_IDS,), {"num_tokens": 4}, label="num_tokens"),
    Case("polar", (positive(3, 4), floats(3, 4))),
    Case("polar", (positive(3, dtype="float64"), floats(3, dtype="float64"))),
    Case("polar", (positive(2, 3), floats(3))),
    Case("polar", (ints(3, low=0), ints(3)), label="ints"),
]


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    """Every case of op `name` (one test per op keeps the suite's per-test overhead small)."""
    failures = []
    for case in (c for c in CASES if c.name == name):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")    # Keras' own warnings (softmax over size 1, ...)
                check(case)
        except AssertionError as e:
            failures.append(f"{case}: {e}")
    assert not failures, f"{len(failures)} case(s) differ from Keras:\n" + "\n".join(failures)


def test_every_name_has_a_case():
    names = keras_names("nn")
    assert sorted(ops.nn.__all__) == names
    assert_every_name_has_a_case(names, CASES)


def test_every_name_is_in_kerastorch_ops_and_ops_nn():
    for name in keras_names("nn"):
        assert getattr(ops, name) is getattr(ops.nn, name), name
        assert getattr(ops, name).__name__ == getattr(keras.ops, name).__name__, name
    assert ops.swish is ops.silu and ops.hard_swish is ops.hard_silu    # aliases, as in Keras


@pytest.mark.parametrize("name", keras_names("nn"))
def test_signature_is_keras(name):
    ours = inspect.signature(getattr(ops, name))
    theirs = inspect.signature(getattr(keras.ops, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for p in theirs.parameters.values():
        assert ours.parameters[p.name].default == p.default, p.name
        assert ours.parameters[p.name].kind == p.kind, p.name


# ------------------------------------------------------------------------------ dtype sweep
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
_BASE = np.array([[0.5, 1.5, -2.0, 0.25], [3.0, 0.0, 2.0, -0.75]])


def _make(dtype):
    if dtype == "bool":
        return torch.tensor(_BASE > 0.7)
    values = np.abs(_BASE) if dtype.startswith("u") else _BASE
    return torch.tensor(values).to(getattr(torch, dtype))


def _expect_same(case):
    """Runs `case`: where Keras raises, kerastorch must raise a clear error naming the op."""
    try:
        getattr(keras.ops, case.name)(*case.args, **case.kwargs)
    except Exception as keras_error:           # noqa: BLE001 - any refusal by Keras
        op = getattr(ops, case.name)
        with pytest.raises((TypeError, ValueError)) as info:
            op(*case.args, **case.kwargs)
        # Aliases (swish, hard_swish) are the same functions as in Keras, named silu, hard_silu.
        assert f"ops.{op.__name__}" in str(info.value), (
            f"{case}: Keras raises {type(keras_error).__name__}({keras_error}); ours raises without naming "
            f"the op: {info.value}")
        return
    check(case)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + ["sparsemax"])
def test_activation_dtype_sweep_matches_keras(name):
    failures = []
    for dtype in DTYPES:
        x = _make(dtype)
        if name == "sparsemax":       # one dominant entry per row (see _DOMINANT)
            x = torch.tensor([[3, 0, 1, -1], [0, 1, 6, 2]]).to(x.dtype) if dtype != "bool" else x
        tol = 1e-2 if dtype in ("float16", "bfloat16") else 1e-6
        case = Case(name, (x,), rtol=tol, atol=tol, label=dtype)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _expect_same(case)
        except AssertionError as e:
            failures.append(f"{dtype}: {str(e).splitlines()[0]}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------------------ errors
def _message(fn, *args, error=ValueError, **kwargs):
    with pytest.raises(error) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_incompatible_conv_shapes_name_the_op_and_shapes():
    message = _message(ops.conv, floats(1, 5, 5, 3), floats(3, 3, 2, 4))
    assert "ops.conv" in message and "(1, 5, 5, 3)" in message and "(3, 3, 2, 4)" in message, message
    message = _message(ops.depthwise_conv, floats(1, 5, 5, 3), floats(3, 3, 2, 4))
    assert "ops.depthwise_conv" in message and "3 input channels" in message
    assert "kernel.shape[-2] = 2" in message, message
    message = _message(ops.conv_transpose, floats(1, 5, 5, 3), floats(3, 3, 4, 2))
    assert "ops.conv_transpose" in message and "kernel.shape[-1] = 2" in message, message
    message = _message(ops.conv, floats(5, 3), floats(3, 3, 4))
    assert "ops.conv" in message and "rank 3, 4 or 5" in message and "(5, 3)" in message, message
    message = _message(ops.separable_conv, floats(1, 5, 5, 3), floats(3, 3, 3, 2), floats(1, 1, 5, 4))
    assert "ops.separable_conv" in message and "(1, 1, 6, filters)" in message, message


def test_bad_padding_strides_and_data_format_say_what_is_allowed():
    assert "padding='causal'" in _message(ops.conv, floats(1, 5, 2), floats(3, 2, 2), padding="causal")
    assert "'valid', 'same'" in _message(ops.max_pool, floats(1, 5, 2), 2, padding="full")
    message = _message(ops.conv, floats(1, 5, 5, 2), floats(3, 3, 2, 2), strides=(1, 2, 3))
    assert "ops.conv" in message and "`strides` must be an int or a tuple of 2 ints" in message, message
    assert "strides=0" in _message(ops.average_pool, floats(1, 5, 2), 2, strides=0)
    assert "channels_last" in _message(ops.conv, floats(1, 5, 2), floats(3, 2, 2), data_format="NHWC")
    message = _message(ops.max_pool, floats(1, 2, 2), 3)
    assert "ops.max_pool" in message and "pool_size=(3,)" in message and "(1, 2, 2)" in message, message


def test_bad_axes_name_the_op_shape_and_axis():
    message = _message(ops.softmax, floats(2, 3), axis=2)
    assert "ops.softmax" in message and "(2, 3)" in message and "axis 2" in message, message
    message = _message(ops.log_softmax, floats(2, 3), axis=(0, 5))
    assert "ops.log_softmax" in message and "axis 5" in message, message
    message = _message(ops.layer_normalization, floats(2, 3), axis=3)
    assert "ops.layer_normalization" in message and "axis=3" in message and "(2, 3)" in message
    message = _message(ops.moments, floats(2, 3), axes=[0, -3])
    assert "ops.moments" in message and "axes=[0, -3]" in message, message
    message = _message(ops.glu, floats(2, 3))
    assert "ops.glu" in message and "even" in message and "(2, 3)" in message, message
    message = _message(ops.one_hot, [1, 2], 3, axis=3)
    assert "ops.one_hot" in message and "axis=3" in message, message


def test_bad_loss_shapes_name_both_shapes_and_the_fix():
    message = _message(ops.categorical_crossentropy, floats(2, 3), floats(2, 4))
    assert "target.shape=(2, 3)" in message and "output.shape=(2, 4)" in message
    assert "sparse_categorical_crossentropy" in message
    message = _message(ops.sparse_categorical_crossentropy, [0, 1, 2], floats(2, 4))
    assert "ops.sparse_categorical_crossentropy" in message and "(2,)" in message, message
    message = _message(ops.binary_crossentropy, floats(2, 3), floats(3, 2))
    assert "ops.binary_crossentropy" in message and "(3, 2)" in message, message
    assert "x2.shape=(4,)" in _message(ops.psnr, floats(3), floats(4), 1.0)
    message = _message(ops.sparse_categorical_crossentropy, [0, 7], floats(2, 4), from_logits=True)
    assert "ops.sparse_categorical_crossentropy" in message, message


def test_unknown_dtype_lists_close_matches():
    message = _message(ops.one_hot, [1, 2], 3, dtype="flaot32")
    assert "Did you mean 'float32'" in message, message
    assert "Did you mean 'int32'" in _message(ops.multi_hot, [1, 2], 3, dtype="int23")


def test_integer_inputs_torch_cannot_take_raise_type_errors_that_say_to_cast():
    for name in ("elu", "softmax", "gelu", "silu"):
        message = _message(getattr(ops, name), ints(2, 3), error=TypeError)
        assert f"ops.{name}" in message and "int32" in message and "ops.cast" in message, message


def test_unsupported_arguments_are_refused_with_what_to_use():
    assert "sparse=False" in _message(ops.one_hot, [1], 3, sparse=True)
    assert "sparse=False" in _message(ops.multi_hot, [1], 3, sparse=True)
    assert "num_classes" in _message(ops.multi_hot, [1])
    assert "unexpected" in _message(ops.multi_hot, [1], 3, num_token=2, error=TypeError)
    assert "rms_scaling" in _message(ops.layer_normalization, floats(2, 3), foo=1, error=TypeError)
    with pytest.warns(UserWarning, match="deprecated"):
        assert "no `beta`" in _message(ops.layer_normalization, floats(2, 3), None, floats(3),
                                       rms_scaling=True)
    assert "all_reduce" in _message(ops.moments, floats(2, 3), 0, synchronized=True,
                                    error=NotImplementedError)
    message = _message(ops.dot_product_attention, _Q, _K, _V, attn_logits_soft_cap=20.0)
    assert "JAX" in message and "attn_logits_soft_cap" in message and "tanh" in message
    message = _message(ops.dot_product_attention, _Q, _K, _V, bias=floats(5, 7), mask=_MASK)
    assert "only one of `bias` and `mask`" in message
    message = _message(ops.dot_product_attention, _Q[0], _K, _V)
    assert "4D" in message and "(5, 4, 8)" in message
    message = _message(ops.dot_product_attention, _Q, _K[:, :, :3], _V[:, :, :3])
    assert "multiple" in message and "(2, 7, 3, 8)" in message
    if not torch.cuda.is_available():
        message = _message(ops.dot_product_attention, _Q, _K, _V, flash_attention=True)
        assert "flash_attention=True" in message and "CUDA" in message, message
    assert "'greedy' or 'beam_search'" in _message(ops.ctc_decode, _CTC_LOGITS, [8, 8, 8], strategy="beam")
    assert "beam_width=0" in _message(ops.ctc_decode, _CTC_LOGITS, [8, 8, 8], strategy="beam_search",
                                      beam_width=0)
    assert "mask_index" in _message(ops.ctc_decode, _CTC_LOGITS, [8, 8, 8], mask_index=5)
    assert "sequence_lengths" in _message(ops.ctc_decode, _CTC_LOGITS, [8, 8])
    assert "block_size=1" in _message(ops.depth_to_space, floats(1, 2, 2, 4), 1)
    assert "multiple of 4" in _message(ops.depth_to_space, floats(1, 2, 2, 6), 2)
    assert "rows" in _message(ops.space_to_depth, floats(1, 3, 2, 1), 2)
    assert "4D" in _message(ops.unfold, floats(3, 4, 4), 2)
    assert "order=0" in _message(ops.normalize, floats(3), order=0)
    message = _message(ops.batch_normalization, floats(2, 3), floats(2), floats(3), -1)
    assert "`mean` must be a vector of length x.shape[axis] = 3" in message, message


# ------------------------------------------------------------------------------ docs
@pytest.mark.parametrize("family", FAMILIES)
def test_docstring_examples_run(family):
    module = importlib.import_module("kerastorch.ops.nn" if family == "__init__" else
                                     f"kerastorch.ops.nn.{family}")
    result = doctest.testmod(module, extraglobs={"torch": torch, "ops": ops}, verbose=False,
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_every_public_op_has_a_keras_style_docstring():
    for name in ops.nn.__all__:
        doc = getattr(ops.nn, name).__doc__ or ""
        for part in ("Args:", "Returns:", "Example:", ">>>"):
            assert part in doc, f"ops.{name} docstring lacks {part!r}"
