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
    path = plot_model(model, tmp_path / "m.dot", show_shapes=True)
    text = open(path).read()
    assert text.startswith('digraph "tiny"')
    assert "conv2d (Conv2D)|output: (None, 6, 6, 4)" in text
    assert "dense (Dense)|output: (None, 3)" in text
    assert "n0 -> n1;" in text and "n1 -> n2;" in text and "n2 -> n3" not in text


def test_svg_is_valid_xml_with_every_layer(model, tmp_path):
    path = plot_model(model, tmp_path / "m.svg", show_shapes=True, show_dtype=True, rankdir="LR")
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
