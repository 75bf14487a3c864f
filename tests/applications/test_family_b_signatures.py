"""Every MobileNet/EfficientNet/ConvNeXt/NASNet function and module has Keras' signature and names."""

import inspect

import pytest

from kerastorch import applications

pytestmark = pytest.mark.keras

MODULES = {
    "mobilenet": ["MobileNet"],
    "mobilenet_v2": ["MobileNetV2"],
    "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
    "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
    "efficientnet_v2": [f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    "convnext": [f"ConvNeXt{v}" for v in ("Tiny", "Small", "Base", "Large", "XLarge")],
    "nasnet": ["NASNetMobile", "NASNetLarge"],
}
FUNCTIONS = [(module, fn) for module, fns in MODULES.items() for fn in fns]
# The builders each family's functions call, public in Keras' family modules too.
BUILDERS = [("efficientnet", "EfficientNet"), ("efficientnet_v2", "EfficientNetV2"), ("convnext", "ConvNeXt"),
            ("nasnet", "NASNet")]


def _params(fn):
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("module,fn", FUNCTIONS + BUILDERS, ids=lambda v: str(v))
def test_signature_is_keras(keras, module, fn):
    ours = getattr(getattr(applications, module), fn)
    theirs = getattr(getattr(keras.src.applications, module), fn)
    assert _params(ours) == _params(theirs)
    if (module, fn) in FUNCTIONS:
        assert getattr(applications, fn) is ours and ours.__name__ == fn
        assert ours.__doc__ and "Args:" in ours.__doc__ and "Returns:" in ours.__doc__


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_has_keras_public_names(keras, module):
    theirs = getattr(keras.applications, module)
    ours = getattr(applications, module)
    public = sorted(name for name in dir(theirs) if not name.startswith("_"))
    assert {"decode_predictions", "preprocess_input"} <= set(public) <= set(MODULES[module]) | {
        "decode_predictions", "preprocess_input"}       # (keras.applications.mobilenet_v3 has only the two)
    for name in public:
        assert callable(getattr(ours, name))
    assert _params(ours.preprocess_input) == _params(theirs.preprocess_input)
    assert _params(ours.decode_predictions) == _params(theirs.decode_predictions)


@pytest.mark.parametrize("module,fn", FUNCTIONS, ids=lambda v: str(v))
def test_unknown_pooling_is_refused_before_building(module, fn):
    # Keras would take pooling="mean" as None and return the 4-D feature map without a word.
    with pytest.raises(ValueError, match="pooling"):
        getattr(applications, fn)(weights=None, include_top=False, pooling="mean")


# (the MobileNet and EfficientNet families have their input_tensor tests in their own files)
SMALLEST = ["ConvNeXtTiny", "NASNetMobile"]


@pytest.mark.parametrize("fn", SMALLEST)
def test_input_tensor_makes_its_source_input_the_model_input(monkeypatch, fn):
    # Keras' rule: the model's inputs are the source Inputs of `input_tensor`, and the layers
    # between them become part of the model.
    import torch

    import kerastorch
    from kerastorch import initializers

    monkeypatch.setattr(initializers, "get", lambda identifier: lambda shape, dtype=None: torch.zeros(tuple(shape)))
    image = kerastorch.Input(shape=(32, 32, 3))
    shifted = kerastorch.layers.Rescaling(1.0, offset=0.5, name="shift")(image)
    model = getattr(applications, fn)(input_tensor=shifted, weights=None, include_top=False, pooling="avg")
    assert model.inputs[0] is image
    assert model.get_layer("shift") is shifted._keras_history[0]
    reference = getattr(applications, fn)(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    assert model.output_shape == reference.output_shape
    assert model.count_params() == reference.count_params()
