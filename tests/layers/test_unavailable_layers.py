"""Keras layer names listed in docs/keras-coverage.md exist here and raise a clear NotImplementedError."""

import pathlib
import re

import pytest

from kerastorch import layers

_DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "keras-coverage.md"


def _listed():
    rows = {}
    for line in _DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*layers\s*\|\s*`?(\w+)`?\s*\|\s*(.+?)\s*\|\s*$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


LISTED = _listed()
# What each message must name as the way forward.
ALTERNATIVES = {"JaxLayer": "TorchModuleWrapper", "FlaxLayer": "TorchModuleWrapper", "TFSMLayer": "load_weights"}


def test_the_listed_names_are_keras_layer_names(keras):
    assert set(ALTERNATIVES) <= set(LISTED)
    for name in LISTED:
        assert hasattr(keras.layers, name), f"{name} is listed but is not a Keras layer name"


@pytest.mark.parametrize("name", sorted(LISTED))
def test_listed_layer_exists_and_raises_naming_the_alternative(keras, name):
    import inspect

    cls = getattr(layers, name)
    ours = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    theirs = set(inspect.signature(getattr(keras.layers, name).__init__).parameters) - {"self", "kwargs"}
    assert ours == theirs, name
    with pytest.raises(NotImplementedError, match=ALTERNATIVES.get(name, r"\S")):
        cls()
    assert len(LISTED[name]) > 40
