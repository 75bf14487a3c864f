"""plot_model (DOT/SVG text without dependencies, raster with matplotlib) and plot_history."""

import builtins
import doctest
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import kerastorch
from kerastorch import layers
from kerastorch.utils import plot_history, plot_model, plotting


@pytest.fixture
def model():
    return kerastorch.Sequential([layers.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                                  layers.Flatten(), layers.Dense(3, activation="softmax")], name="tiny")


def test_docstring_examples_run():
    assert doctest.testmod(plotting, verbose=False).failed == 0


def test_dot_file_has_one_node_per_layer_in_order_with_shapes(model, tmp_path):
    path = plot_model(model, tmp_path / "m.dot", show_shapes=True, show_layer_names=True)
    text = open(path).read()
    assert text.startswith('digraph "tiny"')
    assert "conv2d (Conv2D)|output: (None, 6, 6, 4)" in text
    assert "dense (Dense)|output: (None, 3)" in text
    assert "n0 -> n1;" in text and "n1 -> n2;" in text and "n2 -> n3" not in text


def test_svg_is_valid_xml_with_every_layer(model, tmp_path):
    path = plot_model(model, tmp_path / "m.svg", show_shapes=True, show_dtype=True, rankdir="LR",
                      show_layer_names=True)
    root = ET.parse(path).getroot()
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "conv2d (Conv2D)" and "output: (None, 144)" in texts and "dtype: float32" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 3


def test_png_with_matplotlib(model, tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_model(model, tmp_path / "m.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plot_history_draws_a_panel_per_metric_with_validation(tmp_path):
    pytest.importorskip("matplotlib")
    logs = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8], "val_loss": [1.1, 0.8, 0.7],
            "val_accuracy": [0.4, 0.6, 0.7]}
    fig = plot_history(logs, to_file=tmp_path / "h.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[1].get_ydata(), [1.1, 0.8, 0.7])   # val_loss on the loss panel
    assert (tmp_path / "h.png").stat().st_size > 0


def test_plot_history_takes_the_history_from_fit():
    pytest.importorskip("matplotlib")
    net = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    net.compile(optimizer="sgd", loss="mse")
    history = net.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    assert [ax.get_title() for ax in plot_history(history).axes] == ["loss"]


def test_without_matplotlib_the_error_says_how_to_install_it(model, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history({"loss": [1.0]})
    with pytest.raises(ImportError, match="pip install matplotlib.*model.svg"):
        plot_model(model, tmp_path / "m.png")
    assert plot_model(model, tmp_path / "m.svg")          # the text formats need nothing


def test_bad_arguments(model, tmp_path):
    with pytest.raises(ValueError, match="extensions .dot"):
        plot_model(model, tmp_path / "m.bmp")
    with pytest.raises(ValueError, match=r"\['acc'\] are not in the history"):
        plot_history({"loss": [1.0]}, metrics=["acc"])


def test_signature_and_defaults_equal_keras(keras):
    import inspect

    ours = inspect.signature(plot_model).parameters
    theirs = inspect.signature(keras.utils.plot_model).parameters
    assert list(ours) == list(theirs)
    assert {k: p.default for k, p in ours.items()} == {k: p.default for k, p in theirs.items()}


def test_default_draws_class_names_and_other_options_are_real(model, tmp_path):
    text = open(plot_model(model, tmp_path / "m.dot")).read()
    assert "conv2d (Conv2D)" not in text and "{Conv2D}" in text            # Keras' default: no names
    text = open(plot_model(model, tmp_path / "a.dot", show_layer_activations=True, splines="line")).read()
    assert "Activation: relu" in text and "splines=line;" in text


def test_expand_nested_draws_the_inner_layers(tmp_path):
    inner = kerastorch.Sequential([layers.Input((4,)), layers.Dense(3, name="i1"), layers.Dense(2, name="i2")],
                                  name="inner")
    outer = kerastorch.Sequential([layers.Input((4,)), inner, layers.Dense(1, name="o")], name="outer")
    flat = open(plot_model(outer, tmp_path / "f.dot", show_layer_names=True)).read()
    nested = open(plot_model(outer, tmp_path / "n.dot", show_layer_names=True, expand_nested=True)).read()
    assert "inner (Sequential)" in flat and "i1" not in flat
    assert "inner/i1 (Dense)" in nested and "inner/i2 (Dense)" in nested and "inner (Sequential)" not in nested


@pytest.mark.parametrize("kwargs", [dict(layer_range=["a", "b"]), dict(show_layer_name=True), dict(splines="wavy")])
def test_unknown_arguments_are_refused(model, tmp_path, kwargs):
    with pytest.raises(ValueError):
        plot_model(model, tmp_path / "m.dot", **kwargs)
