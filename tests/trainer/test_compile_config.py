"""`get_compile_config` / `compile_from_config` against real Keras 3, over a table of compile arguments:
the same keys and values as Keras writes them, and each library compiles from the other's config."""

import numpy as np
import pytest

import kerastorch

CASES = {
    "strings": lambda lib: dict(optimizer="adam", loss="mse", metrics=["mae"]),
    "objects": lambda lib: dict(optimizer=lib.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                                loss=lib.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                                metrics=[lib.metrics.MeanAbsoluteError()]),
    "weighted_and_loss_weights": lambda lib: dict(optimizer=lib.optimizers.Adam(0.01), loss="mae", loss_weights=2.0,
                                                  metrics=["mse"], weighted_metrics=["mae"]),
}


def _model(lib):
    return lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(2)])


def _comparable(config):
    out = dict(config)
    opt = out.pop("optimizer")
    out["optimizer"] = (opt if isinstance(opt, str) else
                        (opt["class_name"], {k: opt["config"][k] for k in ("learning_rate", "momentum", "beta_1")
                                             if k in opt["config"]}))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_compile_config_is_keras_and_moves_both_ways(keras, name):
    configs = {}
    for lib in (keras, kerastorch):
        model = _model(lib)
        assert model.get_compile_config() == {}       # not compiled: an empty dict, as Keras
        model.compile(**CASES[name](lib))
        configs[lib.__name__] = model.get_compile_config()
    ours, theirs = configs["kerastorch"], configs["keras"]
    assert sorted(ours) == sorted(theirs)
    assert _comparable(ours) == _comparable(theirs)
    x = np.ones((4, 3), "float32")
    y = np.zeros((4, 2), "float32")
    for lib, config in ((kerastorch, theirs), (keras, ours)):      # each compiles from the other's
        model = _model(lib)
        model.compile_from_config(config)
        assert model.compiled
        history = model.fit(x, y, epochs=1, verbose=0).history
        assert sorted(history) == sorted(["loss"] + [k for k in ("mae", "mse", "mean_absolute_error",
                                                                  "weighted_mae") if k in history])
        assert np.isfinite(history["loss"][0])


def test_compile_from_config_refuses_what_is_not_a_dict():
    with pytest.raises(TypeError, match="expects a dict from get_compile_config"):
        _model(kerastorch).compile_from_config("adam")
