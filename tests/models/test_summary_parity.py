"""summary() prints the same table as real Keras 3: expand_nested, show_trainable, positions,
line_length, layer_range, wrapping of long names, half-built models."""

import numpy as np
import pytest

import kerastorch


def _nested(lib):
    layers = lib.layers
    inner = lib.Sequential([layers.Input((4,)), layers.Dense(3, name="inner_dense"),
                            layers.Dense(2, name="inner_dense_2")], name="inner")
    model = lib.Sequential([layers.Input((4,)), inner, layers.Dropout(0.1, name="drop"),
                            layers.Dense(5, name="outer_dense_with_a_rather_long_name_indeed")], name="outer")
    model.layers[-1].trainable = False
    return model


def _chain(lib):
    layers = lib.layers
    return lib.Sequential([layers.Input((8,)), layers.Dense(4, name="a"), layers.Dense(3, name="b"),
                           layers.Dense(2, name="c"), layers.Dense(1, name="d")], name="chain")


def _spaced(lib):
    layers = lib.layers
    return lib.Sequential([layers.Input((4, 4, 4, 4, 4)),
                           layers.Dense(3, name="a layer name with spaces that wraps at them")], name="spaced")


def _compiled(lib):
    model = _chain(lib)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 8), "float32"), np.ones((4, 1), "float32"), verbose=0)
    return model


CASES = {
    "plain": (_nested, {}),
    "expand_nested": (_nested, dict(expand_nested=True)),
    "show_trainable": (_nested, dict(show_trainable=True)),
    "show_trainable_expanded": (_nested, dict(show_trainable=True, expand_nested=True)),
    "positions_and_width": (_nested, dict(positions=[0.3, 0.6, 1.0], line_length=60)),
    "wide": (_nested, dict(line_length=120)),
    "narrow": (_chain, dict(line_length=40)),
    "layer_range": (_chain, dict(layer_range=["b", "c"])),
    "layer_range_regex": (_chain, dict(layer_range=["^[bc]$", "d"])),
    "wrap_at_spaces": (_spaced, {}),
    "with_optimizer": (_compiled, {}),
}


def _text(model, **kwargs):
    out = []
    model.summary(print_fn=lambda text, *args, **kw: out.append(text), **kwargs)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_summary_text_equals_keras(keras, case):
    make, kwargs = CASES[case]
    want = _text(make(keras), **kwargs)
    got = _text(make(kerastorch), **kwargs)
    assert len(got) == len(want) == 1       # Keras calls print_fn once, with the whole table
    assert got[0] == want[0]


def test_half_built_model_totals_equal_keras_and_its_rows(keras):
    def half(lib):
        model = lib.Sequential([lib.layers.Dense(4, name="x1"), lib.layers.Dense(3, name="x2")], name="half")
        model.layers[0].build((None, 3))
        return model

    want, got = _text(half(keras))[0], _text(half(kerastorch))[0]
    totals = [line for line in got.splitlines() if "params:" in line]
    assert totals == [line for line in want.splitlines() if "params:" in line]
    assert " Total params: 16 (64.00 B)" in totals        # the rows: 16 and "0 (unbuilt)"
    assert "0 (unbuilt)" in got


@pytest.mark.parametrize("kwargs", [dict(layer_range=["zzz", "a"]), dict(layer_range=["a"]),
                                    dict(layer_range=[1, 2]), dict(positions=[0.01, 0.5, 1.0])])
def test_bad_arguments_are_refused_as_keras_refuses_them(keras, kwargs):
    with pytest.raises(ValueError):
        _chain(keras).summary(print_fn=lambda *a, **k: None, **kwargs)
    with pytest.raises(ValueError):
        _chain(kerastorch).summary(print_fn=lambda *a, **k: None, **kwargs)
