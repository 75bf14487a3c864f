"""ConvNeXtTiny/Small/Base/Large/XLarge (Liu et al., 2022), built as Keras builds them.

Functional models with Keras' layer names (`convnext_tiny_stem`, `convnext_tiny_stage_2_block_4_
depthwise_conv`, `convnext_tiny_head_dense`, ...) and Keras' nested `Sequential` stem and
downsampling blocks, so a weights file written by Keras for the same architecture loads and gives
Keras' predictions. `LayerScale` and `StochasticDepth` are Keras' custom layers of this module.
The model normalizes 0..255 pixels itself (`include_preprocessing=True`), and `preprocess_input`
passes its input through.
"""

import torch

from kerastorch import initializers, layers
from kerastorch.applications import _builder, imagenet_utils
from kerastorch.layers.base import Layer
from kerastorch.saving import serialization as _serialization

MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}
BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# Keras' sha256 of its ImageNet files: (with top, without top).
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}


class StochasticDepth(Layer):
    """Drops whole samples of a residual branch in training (stochastic depth), as Keras' ConvNeXt layer.

    In training, each sample is kept with probability `1 - drop_path_rate` and then divided by it;
    at inference the input passes through.

    Args:
        drop_path_rate: Probability of dropping a sample's branch, in [0, 1).

    Example:
    >>> import torch
    >>> StochasticDepth(0.5)(torch.ones(2, 3), training=False).tolist()   # inference: unchanged
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if training:
            keep_prob = 1 - self.drop_path_rate
            shape = (x.shape[0],) + (1,) * (x.ndim - 1)
            mask = torch.floor(keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device))
            return x / keep_prob * mask
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(Layer):
    """Multiplies its input by a learned per-channel `gamma`, as Keras' ConvNeXt layer.

    Args:
        init_values: Initial value of every entry of `gamma`.
        projection_dim: Size of the last axis (and of `gamma`).

    Weights: `gamma`, of shape `(projection_dim,)`.

    Example:
    >>> import torch
    >>> LayerScale(0.5, 2)(torch.ones(1, 2)).tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values),
                                     trainable=True, name="gamma")
        self.built = True

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


# Keras' .keras files name these two by their bare class name (registered_name "LayerScale",
# module keras.src.applications.convnext): registered under those names, they load here, and files
# written here name them as Keras does, so real Keras rebuilds them too.
for _cls in (LayerScale, StochasticDepth):
    _cls._keras_module = "keras.src.applications.convnext"
    _serialization._GLOBAL_CUSTOM_OBJECTS.setdefault(_cls.__name__, _cls)
    _serialization._GLOBAL_CUSTOM_NAMES.setdefault(_cls, _cls.__name__)


def _convnext_block(inputs, projection_dim, drop_path_rate, layer_scale_init_value, name):
    x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                      name=f"{name}_depthwise_conv")(inputs)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
    else:
        branch = layers.Activation("linear", name=f"{name}_identity")
    return inputs + branch(x)      # an op on the tensors, as in Keras (no Add layer)


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
             name="convnext", include_preprocessing=True, include_top=True, weights=None, input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", weights_name=None):
    """Instantiates a ConvNeXt of any depth and width, as Keras' `convnext.ConvNeXt`.

    Args:
        depths: Number of blocks in each of the 4 stages.
        projection_dims: Channels of each of the 4 stages.
        drop_path_rate: Largest stochastic depth rate, reached linearly over the blocks.
            Defaults to `0.0`.
        layer_scale_init_value: Initial `LayerScale` value (no `LayerScale` when `None`).
            Defaults to `1e-6`.
        default_size: Default image size. Defaults to `224`.
        name: Model name, also the prefix of the layer names. Defaults to `"convnext"`.
        include_preprocessing, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation: As in `ConvNeXtTiny` (`weights` defaults to `None` here).
        weights_name: The variant of the ImageNet weights (`"convnext_tiny"`, ...). Defaults to `None`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = ConvNeXt([1, 1, 1, 1], [8, 16, 24, 32], include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 32)
    """
    from kerastorch.models import Model, Sequential

    _builder.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)   # Keras would take any other value as None
    input_shape = _builder.obtain_input_shape(input_shape, default_size, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    if input_tensor is not None:
        inputs = _builder.source_inputs(img_input, input_tensor)[0]
        x = input_tensor
    else:
        inputs = x = img_input

    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                                 name=f"{name}_prestem_normalization")(x)

    downsample_layers = [Sequential([
        layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")], name=f"{name}_stem")]
    for i in range(3):
        downsample_layers.append(Sequential([
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))

    total = sum(depths)
    # np.linspace(0, drop_path_rate, total), as floats
    rates = [drop_path_rate * k / (total - 1) if total > 1 else 0.0 for k in range(total)]
    cur = 0
    for i in range(4):
        x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = _convnext_block(x, projection_dims[i], rates[cur + j], layer_scale_init_value,
                                name=f"{name}_stage_{i}_block_{j}")
        cur += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)   # Keras normalizes the features, pooled or not

    model = Model(inputs=inputs, outputs=x, name=name)
    if weights == "imagenet":
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
            raise ValueError(f"Architecture configuration does not match {weights_name} variant. When using "
                             f"pre-trained weights, the model architecture must match the pre-trained "
                             f"configuration exactly. Expected depths: {expected['depths']}, got: {depths}. "
                             f"Expected projection_dims: {expected['projection_dims']}, got: {projection_dims}.")
        if weights_name not in name:
            raise ValueError(f'Model name "{name}" does not match weights variant "{weights_name}". When using '
                             f"imagenet weights, model name must contain the weights variant (e.g., "
                             f'"convnext_{weights_name.split("convnext_")[-1]}").')
    file_name = name + (".h5" if include_top else "_notop.h5")
    hashes = WEIGHTS_HASHES.get(weights_name)
    return _builder.load_weights(model, weights, file_name, origin=BASE_WEIGHTS_PATH + file_name,
                                file_hash=None if hashes is None else hashes[0 if include_top else 1])


def _variant(key, fn_name):
    config = MODEL_CONFIGS[key]

    def constructor(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                    name=f"convnext_{key}"):
        return ConvNeXt(weights_name=f"convnext_{key}", depths=config["depths"],
                        projection_dims=config["projection_dims"], drop_path_rate=0.0, layer_scale_init_value=1e-6,
                        default_size=config["default_size"], name=name, include_top=include_top,
                        include_preprocessing=include_preprocessing, weights=weights, input_tensor=input_tensor,
                        input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation)

    constructor.__name__ = constructor.__qualname__ = fn_name
    constructor.__doc__ = f"""Instantiates the {fn_name} architecture, as `keras.applications.{fn_name}`.

    Reference: [A ConvNet for the 2020s](https://arxiv.org/abs/2201.03545). The model includes
    its input normalization (a `Normalization` layer with ImageNet's mean and variance of 0..255
    pixels) unless `include_preprocessing=False`; `kerastorch.applications.convnext.preprocess_input`
    is a pass-through.

    Args:
        include_top: Whether to include the classifier head. Defaults to `True`.
        include_preprocessing: Whether to include the `Normalization` layer. Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        input_shape: Optional `(height, width, channels)`, at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`; a
            `LayerNormalization` follows in each case, as in Keras. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: Activation of the head's dense layer (`None` for logits).
            Defaults to `"softmax"`.
        name: Model name, also the prefix of the layer names. Defaults to `"convnext_{key}"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = {fn_name}(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, {config["projection_dims"][-1]})
    """
    return constructor


ConvNeXtTiny = _variant("tiny", "ConvNeXtTiny")
ConvNeXtSmall = _variant("small", "ConvNeXtSmall")
ConvNeXtBase = _variant("base", "ConvNeXtBase")
ConvNeXtLarge = _variant("large", "ConvNeXtLarge")
ConvNeXtXLarge = _variant("xlarge", "ConvNeXtXLarge")


preprocess_input = imagenet_utils._module_preprocess_input(None)

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge", "LayerScale",
           "StochasticDepth", "decode_predictions", "preprocess_input"]
