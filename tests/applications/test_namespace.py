"""`kerastorch.applications` has Keras' names: the walk is over real Keras' namespace and modules."""

import inspect

import pytest

import kerastorch
from kerastorch import applications

from .helpers import PART_A_MODELS

keras = pytest.importorskip("keras")

PART_A_MODULES = sorted(set(PART_A_MODELS.values()) | {"resnet50", "imagenet_utils"})


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_keras_applications_name_is_present():
    theirs = _public(keras.applications)
    assert len(theirs) == 57
    missing = sorted(theirs - _public(applications))
    assert not missing, f"kerastorch.applications lacks {missing}"
    assert kerastorch.applications is applications


@pytest.mark.parametrize("module", PART_A_MODULES)
def test_each_family_module_has_keras_names(module):
    theirs = _public(getattr(keras.applications, module))
    ours = _public(getattr(applications, module))
    assert theirs <= ours, f"applications.{module} lacks {sorted(theirs - ours)}"
    for name in theirs:
        if name[0].isupper() or name in ("preprocess_input", "decode_predictions"):
            assert callable(getattr(getattr(applications, module), name))


@pytest.mark.parametrize("name", sorted(PART_A_MODELS) + [f"{m}.{f}" for m in PART_A_MODULES if m != "imagenet_utils"
                                                          for f in ("preprocess_input", "decode_predictions")]
                         + ["imagenet_utils.preprocess_input", "imagenet_utils.decode_predictions"])
def test_signature_is_keras(name):
    def resolve(root):
        for part in name.split("."):
            root = getattr(root, part)
        return root

    theirs = inspect.signature(resolve(keras.applications))
    ours = inspect.signature(resolve(applications))
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
        [(p.name, p.default, p.kind) for p in theirs.parameters.values()]
    assert resolve(applications).__doc__ and "Example" in resolve(applications).__doc__


def test_top_level_objects_are_the_family_modules_objects():
    for fn, module in PART_A_MODELS.items():
        assert getattr(applications, fn) is getattr(getattr(applications, module), fn)
    assert applications.resnet50.ResNet50 is applications.ResNet50
