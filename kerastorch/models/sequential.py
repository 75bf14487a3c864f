"""`Sequential`: a linear stack of layers, each one's input shape inferred from the one before."""

import warnings

import torch
from torch.nn.modules import module as _torch_module

from kerastorch import variables as _variables
from kerastorch.layers.base import (KerasTensor, Layer, TorchModuleWrapper, convert_inputs, format_shape, plain_call,
                                    resolve_training)
from kerastorch.layers.core import InputLayer
from kerastorch.models.model import Model


def _shape_matches(expected, actual):
    return len(expected) == len(actual) and all(e is None or e == a for e, a in zip(expected, actual))


class Sequential(Model):
    """A linear stack of layers: the output of each layer is the input of the next.

    Give the shape of ONE sample first, with `layers.Input(shape=...)` (or
    `input_shape=` on the first layer), and every layer is built at once with its input
    shape inferred from the layer before. Without it, the model is built from the
    first data it sees (`fit`, `predict`, or a call). Plain `torch.nn.Module`s may be
    placed in the stack too; they are wrapped in `TorchModuleWrapper`.

    Args:
        layers: Optional list of layers (an `Input` first, optionally).
        trainable: Whether the model's weights are trained. Defaults to `True`.
        name: Optional name. Defaults to `sequential`, `sequential_1`, ...

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([
    ...     layers.Input(shape=(784,)),
    ...     layers.Dense(128, activation="relu"),
    ...     layers.Dense(10, activation="softmax"),
    ... ])
    >>> model.output_shape
    (None, 10)
    >>> model.count_params()
    101770
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        self._input_layer = None
        self._uses_masks = False
        self._input_rank = None   # rank of the built input (batch axis included)
        self.built = False
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                layers = [layers]
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # ------------------------------------------------------------------ the stack
    def add(self, layer, rebuild=True):
        """Adds a layer on top of the stack.

        Args:
            layer: A kerastorch layer, `layers.Input(...)`, or any `torch.nn.Module`.
            rebuild: Whether to build the new layer right away when the input shape is known.

        Raises:
            TypeError: if `layer` is not a layer or module.
            ValueError: if its name is already taken, or it cannot take the previous output.
        """
        if isinstance(layer, KerasTensor):
            layer = getattr(layer, "_input_layer", None) or InputLayer(batch_shape=layer.shape)
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    f"Sequential '{self.name}': an Input can only be the first element of the stack, "
                    f"but it was added after {len(self._stack)} layer(s). Put layers.Input(shape=...) first."
                )
            self._set_input_layer(layer)
            return
        if not isinstance(layer, Layer):
            if isinstance(layer, torch.nn.Module):
                layer = TorchModuleWrapper(layer)
            else:
                raise TypeError(
                    f"Sequential '{self.name}': only layers can be added, got {layer!r} "
                    f"({type(layer).__name__}). Use kerastorch.layers (e.g. layers.Dense(10)) or a "
                    "torch.nn.Module."
                )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"Sequential '{self.name}': all layers must have unique names, but {layer.name!r} is "
                "already in the model. Give the layer another name=..., or create a new layer "
                "instead of adding the same one twice."
            )
        if not self._stack and self._input_layer is None and layer._batch_input_shape is not None:
            self._set_input_layer(InputLayer(batch_shape=layer._batch_input_shape))
        self._stack.append(layer)
        self.add_module(self._module_key(layer), layer)
        self._uses_masks = self._uses_masks or getattr(layer, "produces_mask", False)
        if rebuild:
            try:
                self._maybe_rebuild()
            except Exception:
                self._remove_last()
                raise
        else:
            self.built = False

    def _set_input_layer(self, layer):
        # Kept out of the module registry: the Input is not a layer of the model (as in Keras),
        # has no weights, and must not appear in state_dict() or named_children().
        object.__setattr__(self, "_input_layer", layer)

    def _module_key(self, layer):
        """The layer's key in state_dict(): the snake-case class name plus a counter in stack order.

        Keras' `.weights.h5` names layer groups the same way. Unlike `layer.name`, the key does
        not depend on how many layers were created before, so two models of the same
        architecture have the same state_dict keys, in one process or across processes.
        """
        from kerastorch.layers.base import _snake_case

        base = _snake_case(type(layer).__name__)
        if hasattr(type(self), base) or base in self.__dict__:
            base = f"layer_{base}"
        key, count = base, 0
        while key in self._modules:
            count += 1
            key = f"{base}_{count}"
        return key

    def _remove_last(self):
        layer = self._stack.pop()
        for key, module in list(self._modules.items()):
            if module is layer:
                del self._modules[key]
        return layer

    def pop(self, rebuild=True):
        """Removes the last layer of the stack and returns it.

        Raises:
            TypeError: if the model has no layers.
        """
        if not self._stack:
            raise TypeError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._remove_last()
        self._uses_masks = any(getattr(l, "produces_mask", False) for l in self._stack)
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self):
        """The layers of the stack, in order (the `Input` is not listed, as in Keras)."""
        return list(self._stack)

    # ------------------------------------------------------------------ building
    def _maybe_rebuild(self):
        if self._input_layer is not None and self._stack:
            self.build(self._input_layer.batch_shape)
        elif self._input_layer is not None:
            self.built = False

    def build(self, input_shape=None):
        """Builds every layer, inferring each one's input shape from the previous output.

        Args:
            input_shape: Shape of the input batch, `None` for the batch axis
                (e.g. `(None, 784)`). Defaults to the `Input` the model was given.

        Raises:
            ValueError: if a layer cannot take the shape it receives; the message names
                the layer and lists the shapes along the stack.
        """
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential '{self.name}' has no input shape. Start the stack with "
                    "layers.Input(shape=...), or call build((None, *sample_shape)), or fit it on data."
                )
            input_shape = self._input_layer.batch_shape
        shape = tuple(input_shape)
        if self._input_layer is None:
            self._set_input_layer(InputLayer(batch_shape=shape))
        trail = [f"Input {format_shape(shape)}"]
        for i, layer in enumerate(self._stack):
            try:
                with torch.inference_mode(False), _variables.name_scope_of(self):
                    layer._build_wrapper(shape)
                    out = layer.compute_output_shape(shape)
            except (ValueError, TypeError, RuntimeError, IndexError) as e:
                raise ValueError(
                    f"Sequential '{self.name}': layer '{layer.name}' ({type(layer).__name__}), "
                    f"layer #{i} of the stack, cannot take input of shape {format_shape(shape)}. "
                    f"Shapes so far: {' -> '.join(trail)}. {e}"
                ) from e
            if isinstance(out, list) and i < len(self._stack) - 1:
                raise ValueError(
                    f"Sequential '{self.name}': layer '{layer.name}' ({type(layer).__name__}) returns "
                    f"{len(out)} tensors {format_shape(out)} (return_state=True or merge_mode=None), but "
                    "only the last layer of a Sequential may return several. Remove return_state / "
                    "set a merge_mode, or write the model as a torch.nn.Module."
                )
            layer._input_tensor = KerasTensor(shape, name=f"{layer.name}_input")
            layer._output_tensor = KerasTensor(out, name=f"{layer.name}_output")
            trail.append(f"{layer.name} {format_shape(out)}")
            shape = out
        self._output_shape = shape
        self._input_rank = len(input_shape)
        self.built = True

    def _maybe_build_from_data(self, data_shape):
        if not self.built:
            if not self._stack:
                raise ValueError(
                    f"Sequential '{self.name}' has no layers. Add layers before training or predicting."
                )
            self.build((None, *data_shape[1:]))

    def _adjusted_shape(self, shape):
        """Keras' input-rank rule: one axis short and the Input ends in 1 -> that axis is added;
        one axis more and it is of size 1 -> it is dropped (`(N,)` fits `Input(shape=(1,))`)."""
        if self._input_layer is None:
            return tuple(shape)
        ref = self._input_layer.batch_shape
        if len(shape) == len(ref) - 1 and ref[-1] == 1:
            return (*shape, 1)
        if len(shape) == len(ref) + 1 and shape[-1] == 1:
            return tuple(shape[:-1])
        return tuple(shape)

    def _adjust_input_rank(self, x):
        """`x` reshaped by Keras' input-rank rule (a view), or `x` itself."""
        shape = self._adjusted_shape(tuple(x.shape))
        return x if shape == tuple(x.shape) else x.reshape(shape)

    def _check_input_shape(self, data_shape):
        if self._input_layer is None:
            return
        expected = self._input_layer.batch_shape
        actual = (None, *data_shape[1:])
        # Samples only: data_shape[0] counts samples, and a fixed batch size (Input(batch_shape=...),
        # Keras 2's batch_input_shape) does not stop batches of other sizes, as in Keras 3.
        if _shape_matches(expected[1:], (None, *self._adjusted_shape(data_shape)[1:])[1:]):
            return
        sample_expected = format_shape(expected[1:])
        sample_actual = format_shape(actual[1:])
        message = (
            f"Sequential '{self.name}' expects samples of shape {sample_expected}, from "
            f"Input(shape={sample_expected}), but x holds samples of shape {sample_actual} "
            f"(x.shape={tuple(data_shape)})."
        )
        if len(expected) >= 3 and _shape_matches(expected[2:], actual[1:]):
            message += (
                f" Input(shape=...) describes one sample, without the batch axis: if {expected[1]} is "
                f"your batch size, use Input(shape={format_shape(expected[2:])}) and "
                f"fit(..., batch_size={expected[1]})."
            )
        elif len(actual) > len(expected) and _shape_matches(expected[1:], actual[2:]):
            message += (" x has an extra axis after the samples: reshape it to "
                        f"(num_samples, *{sample_expected}).")
        else:
            dims = ", ".join("None" if d is None else str(d) for d in expected[1:])
            message += (f" Reshape the data to (num_samples, {dims}), or change the model's "
                        "Input(shape=...) to the shape of one sample of your data.")
        raise ValueError(message)

    def _accepts_integer_inputs(self):
        if self._input_layer is not None and self._input_layer.input_dtype.startswith(("int", "uint")):
            return True
        first = self._stack[0] if self._stack else None
        return first is not None and (getattr(first, "accepts_integer_inputs", False)
                                      or isinstance(first, TorchModuleWrapper))

    # ------------------------------------------------------------------ calling
    def forward(self, inputs, *args, training=None, mask=None, return_logits=False, **kwargs):
        if type(self).call is not Sequential.call:
            # A subclass's own call() is what the model computes (model(x), fit, predict).
            if return_logits:
                raise ValueError(
                    f"Sequential '{self.name}' ({type(self).__name__}) overrides call(), so its logits "
                    "before the final activation are not known; the fused softmax/sigmoid loss path "
                    "cannot be used for it. Call the model without return_logits."
                )
            from kerastorch.models import _subclassed

            if not isinstance(inputs, torch.Tensor):
                inputs = convert_inputs(self, inputs, keep_integers=self._accepts_integer_inputs())
            if not self.built and isinstance(inputs, torch.Tensor) and self._stack:
                self._maybe_build_from_data(tuple(inputs.shape))
            self.built = True
            return _subclassed.run_call(self, inputs, args, kwargs, training, mask)
        if args or kwargs:
            raise TypeError(
                f"Sequential '{self.name}' takes one input (and training=, mask=), got the extra "
                f"argument(s) {[*map(repr, args), *kwargs]}. Pass several inputs as one list, or "
                "subclass Sequential and define call() to take them."
            )
        return self._run_stack(inputs, training, mask, return_logits)

    def _run_stack(self, inputs, training=None, mask=None, return_logits=False):
        if not isinstance(inputs, torch.Tensor):
            inputs = _one_input(self, convert_inputs(self, inputs, keep_integers=self._accepts_integer_inputs()))
        if not self.built:
            self._maybe_build_from_data(tuple(inputs.shape))
        if inputs.dim() != self._input_rank:
            inputs = self._adjust_input_rank(inputs)
        if training is None:
            training = resolve_training(self)     # None: each layer resolves its own (Keras' call context)
        x = inputs
        try:
            if self._uses_masks:
                return self._call_with_masks(x, training)
            # return_logits: the trainer's fused softmax-crossentropy (every layer, then the last one
            # without its final softmax).
            stack = self._stack[:-1] if return_logits else self._stack
            if training is not None and not (_torch_module._global_forward_hooks
                                             or _torch_module._global_forward_pre_hooks):
                x = self._run_direct(stack, x, training)
            else:
                for layer in stack:
                    x = layer(x, training=training)
            return self._stack[-1]._call_without_activation(x) if return_logits else x
        except RuntimeError as e:
            text = str(e)
            if "same device" in text or "expected device" in text or "Expected all tensors" in text:
                param = next(self.parameters(), None)
                raise ValueError(
                    f"Sequential '{self.name}': the input is on {inputs.device} but the model's weights "
                    f"are on {param.device if param is not None else 'another device'}. fit/evaluate/"
                    "predict move data for you; when calling the model directly, move the input "
                    "first: model(x.to(next(model.parameters()).device))."
                ) from e
            raise

    def _run_direct(self, stack, x, training):
        """The stack on `x` with an explicit `training`: a plain layer's `call` made directly (what its
        module call would run, see `layers.base.plain_call`), the others, a tensor carrying a mask or a
        layer with torch hooks through `layer(...)`."""
        key = tuple(map(id, self._stack))
        kept = self.__dict__.get("_kt_direct_stack")
        if kept is None or kept[0] != key:
            kept = self.__dict__["_kt_direct_stack"] = (key, [plain_call(layer) for layer in self._stack])
        for layer, plain in zip(stack, kept[1]):
            if (plain is not None and type(x) is torch.Tensor and not layer._forward_hooks
                    and not layer._forward_pre_hooks and getattr(x, "_keras_mask", None) is None):
                call, dtype, takes_training = plain
                if x.dtype is not dtype and x.is_floating_point():
                    x = x.to(dtype)      # Keras' cast to the compute dtype, as forward does
                x = call(x, training=training) if takes_training else call(x)
            else:
                x = layer(x, training=training)
        return x

    def call(self, inputs, training=None, mask=None):
        """Runs the stack on `inputs`: each layer's output is the next one's input.

        A subclass may override `call` (and call `super().call(inputs, training=training)`
        for the stack); `model(x)`, `fit`, `evaluate` and `predict` then run its `call`.
        """
        return self._run_stack(inputs, training=training, mask=mask)

    def _final_activation(self):
        """`"softmax"`/`"sigmoid"` when the stack ends in one the trainer may fuse into the loss."""
        from kerastorch import activations
        from kerastorch.layers.core import Activation, Dense

        last = self._stack[-1] if self._stack else None
        if self._uses_masks or type(last) not in (Dense, Activation) or type(self).call is not Sequential.call:
            return None   # an overridden call() computes something else than the stack
        name = activations.serialize(last.activation)
        return name if name in ("softmax", "sigmoid") else None

    def _call_with_masks(self, x, training):
        mask = None
        for layer in self._stack:
            y = layer(x, training=training, mask=mask)
            mask = layer.compute_mask(x, mask)
            x = y
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    # ------------------------------------------------------------------ symbolic shapes
    @property
    def input_shape(self):
        """Shape of the model's input batch, `None` for the batch axis."""
        if self._input_layer is None:
            raise AttributeError(f"Sequential '{self.name}' has no input shape yet (not built).")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        """Shape of the model's output batch, `None` for the batch axis."""
        if not self.built:
            raise AttributeError(
                f"Sequential '{self.name}' is not built, so its output shape is unknown. Give it an "
                "Input(shape=...) or run it on data first."
            )
        return self._output_shape

    @property
    def input(self):
        """The symbolic input (`KerasTensor`)."""
        return KerasTensor(self.input_shape, name=self._input_layer.name)

    @property
    def output(self):
        """The symbolic output (`KerasTensor`)."""
        return self._stack[-1].output

    @property
    def inputs(self):
        """List holding the symbolic input."""
        return [self.input]

    @property
    def outputs(self):
        """List holding the symbolic output."""
        return [self.output]

    def get_config(self):
        """The Keras config of the stack: the input layer and each layer's class and config."""
        layer_configs = []
        if self._input_layer is not None:
            layer_configs.append({"module": "keras.layers", "class_name": "InputLayer",
                                  "config": self._input_layer.get_config(), "registered_name": None})
        from kerastorch.saving.serialization import serialize_layer

        for layer in self._stack:     # as Keras: each layer serialized whole (a nested model as a model)
            layer_configs.append(serialize_layer(layer))
        config = {"name": self.name, "trainable": self.trainable, "dtype": Layer.get_config(self)["dtype"],
                  "layers": layer_configs}
        if self._input_layer is not None:
            config["build_input_shape"] = list(self._input_layer.batch_shape)
        return config


def _one_input(model, inputs):
    """A Sequential model's one input: a list or tuple holding one tensor is taken as that tensor, with
    Keras' warning; several are refused."""
    if isinstance(inputs, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in inputs):
        if len(inputs) == 1:
            warnings.warn("The structure of `inputs` doesn't match the expected structure.\nExpected: keras_tensor\n"
                          f"Received: inputs={[f'Tensor(shape={t.shape})' for t in inputs]}", stacklevel=4)
            return inputs[0]
        raise ValueError(
            f"Sequential '{model.name}' takes one input, got a {type(inputs).__name__} of {len(inputs)} tensors "
            f"(shapes {[tuple(t.shape) for t in inputs]}). Pass one array, or build a Functional model "
            "(kerastorch.Model(inputs=[...], outputs=...)) for several inputs.")
    return inputs
