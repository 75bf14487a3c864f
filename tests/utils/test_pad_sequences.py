"""`pad_sequences` equals real Keras' over a table of inputs and every argument (values and dtype)."""

import itertools

import numpy as np
import pytest

from kerastorch import preprocessing, utils

INPUTS = {
    "ints": [[1], [2, 3], [4, 5, 6], []],
    "floats": [[1.5, 2.25], [3.75], [0.5, -1.0, 2.0, 7.0]],
    "arrays": [np.arange(5), np.arange(2), np.arange(7)],
    "steps2d": [np.ones((2, 3)), np.zeros((4, 3)) + 2, np.arange(3 * 3).reshape(3, 3)],
    "strings": [["a", "bb"], ["ccc"], ["d", "e", "f"]],
}
OPTIONS = [dict(maxlen=m, padding=p, truncating=t)
           for m, p, t in itertools.product([None, 1, 2, 5], ["pre", "post"], ["pre", "post"])]
DTYPES = {"ints": ["int32", "float32", "int64"], "floats": ["float32", "float64", "int32"],
          "arrays": ["int32", "uint8"], "steps2d": ["float32"], "strings": [object, "<U3"]}
VALUES = {"ints": [0.0, -1, 2.7], "floats": [0.0, -0.5], "arrays": [0.0, 9], "steps2d": [0.0, -2],
          "strings": ["?", "pad"]}


def _cases():
    for name, seqs in INPUTS.items():
        for dtype in DTYPES[name]:
            for value in VALUES[name]:
                for opts in OPTIONS:
                    yield name, seqs, dict(opts, dtype=dtype, value=value)


def test_pad_sequences_equals_keras_everywhere(keras):
    checked = 0
    for name, seqs, kwargs in _cases():
        expected = keras.utils.pad_sequences(seqs, **kwargs)
        got = utils.pad_sequences(seqs, **kwargs)
        assert got.dtype == expected.dtype and got.shape == expected.shape, (name, kwargs)
        np.testing.assert_array_equal(got, expected, err_msg=f"{name} {kwargs}")
        checked += 1
    assert checked > 300


def test_default_output_and_namespace():
    # hand-computed: pre-padding with 0 and pre-truncation, int32 by default
    out = preprocessing.sequence.pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
    np.testing.assert_array_equal(out, [[0, 1], [2, 3], [5, 6]])
    assert out.dtype == np.int32
    assert preprocessing.sequence.pad_sequences is utils.pad_sequences


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match=r"`padding` must be 'pre' or 'post', got padding='middle'"):
        utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match=r"`truncating` must be 'pre' or 'post'"):
        utils.pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match=r"item 1 is int 5.*Wrap single values"):
        utils.pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"dtype=object"):
        utils.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match=r"sequence 1 have shape \(2,\).*\(3,\)"):
        utils.pad_sequences([np.ones((2, 3)), np.ones((2, 2))])
    with pytest.raises(ValueError, match="empty.*maxlen"):
        utils.pad_sequences([])
