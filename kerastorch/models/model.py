"""`Model`: a layer with Keras' training API; wraps any `torch.nn.Module` too."""

import torch

from kerastorch import variables as _variables
from kerastorch.layers.base import Layer, TorchModuleWrapper, convert_inputs, resolve_training, training_context
from kerastorch.models import _subclassed
from kerastorch.trainer.trainer import Trainer


class Model(Trainer, Layer):
    """A model: layers plus `compile`/`fit`/`evaluate`/`predict`. It is a `torch.nn.Module`.

    Use it four ways:
    - The Functional API, as in Keras: `kerastorch.Model(inputs, outputs)` (or
      `Model(inputs=..., outputs=...)`) with the `Input` tensors and the tensors computed
      from them by layers and ops returns a `Functional` model (see `docs/functional.md`).
    - Wrap any `torch.nn.Module`: `kerastorch.Model(module)` trains the module as it is
      (its own layout, initialisation and `forward`) with Keras' training API.
    - Subclass it, as in Keras: create layers in `__init__`, compute in `call(inputs)`.
    - Use `Sequential`, a `Model` made of a linear stack of layers.

    Args:
        module: Optional `torch.nn.Module` to wrap (or, for the Functional API, the inputs).
        name: Optional model name.

    Example:
    >>> import numpy as np, torch, kerastorch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> model = kerastorch.Model(net)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> history = model.fit(np.zeros((16, 4)), np.zeros((16, 1)), epochs=1, verbose=0)
    >>> model.predict(np.zeros((2, 4)), verbose=0).shape
    (2, 1)
    """

    def _after_build(self, args, kwargs):
        """After a user's `build` (Layer's build wrapper): the model is built and keeps the shape."""
        _subclassed.after_build(self, args, kwargs)

    def __new__(cls, *args, **kwargs):
        # Keras' `Model(inputs, outputs)` is a Functional model (models/functional.py).
        if cls is Model:
            from kerastorch.models.functional import Functional, functional_init_arguments

            if functional_init_arguments(args, kwargs):
                return super().__new__(Functional)
        instance = super().__new__(cls)
        if cls is not Model:
            # Keras' automatic config: the constructor's arguments, when all are plain values.
            instance.__dict__["_kt_auto_config"] = _subclassed.auto_config(cls, args, kwargs)
        return instance

    def __init__(self, module=None, name=None, trainable=True, **kwargs):
        if "outputs" in kwargs or (module is not None and not isinstance(module, torch.nn.Module)):
            # A subclass calling super().__init__(inputs=..., outputs=...): a Functional subclass.
            from kerastorch.models import functional

            args = (module,) if module is not None else ()
            if isinstance(name, (list, tuple, dict)) or type(name).__name__ == "KerasTensor":
                args, name = args + (name,), None
            if functional.functional_init_arguments(args, kwargs):
                functional.init_subclass(self, args, dict(kwargs, name=name, trainable=trainable))
                return
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_trainer()
        if module is not None:
            if not isinstance(module, torch.nn.Module):
                raise TypeError(
                    f"Model(module) expects a torch.nn.Module, got {type(module).__name__}. "
                    "For a stack of layers use kerastorch.Sequential([...]); for the Functional API "
                    "give the outputs too: kerastorch.Model(inputs, outputs)."
                )
            self.module = module
        else:
            self.module = None
        self.built = module is not None

    def call(self, inputs, training=None):
        if self.module is None:
            raise NotImplementedError(
                f"Model '{self.name}' has no call(): subclass kerastorch.Model and define "
                "call(self, inputs, training=None), or wrap a module with kerastorch.Model(module)."
            )
        return self.module(inputs)

    def forward(self, inputs, *args, training=None, mask=None, **kwargs):
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs, keep_integers=self._accepts_integer_inputs())
        if self.module is not None:
            with training_context(training):      # kerastorch layers inside the module see it
                return self.call(inputs, training=resolve_training(self, training)) \
                    if "training" in _call_args(self) else self.call(inputs)
        return _subclassed.run_call(self, inputs, args, kwargs, training, mask)

    def build(self, input_shape=None):
        """Builds a subclassed model: runs `call` on zeros of `input_shape`, creating its weights.

        A subclass with its own `build` uses that instead. Keras 3.15.1's `Model.build` only
        marks a subclass built (with a warning), and builds it so only when loading
        (`build_from_config`); kerastorch builds it here too, so that weights exist before
        `summary()`, `count_params()` or an optimizer needs them.

        Args:
            input_shape: Shape of the input batch, `None` for the batch axis (e.g.
                `(None, 784)`); a list or dict of shapes for several inputs.

        Raises:
            ValueError: if `input_shape` is missing, or `call` fails on inputs of that shape
                (the message names the shape and the error).

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> class TwoLayers(kerastorch.Model):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.hidden = layers.Dense(4, activation="relu")
        ...         self.out = layers.Dense(1)
        ...     def call(self, inputs):
        ...         return self.out(self.hidden(inputs))
        >>> model = TwoLayers()
        >>> model.build((None, 3))
        >>> model.count_params()
        21
        """
        if self.module is not None or type(self).call is Model.call:
            self.built = True
            return
        _subclassed.build_by_run(self, input_shape)

    def get_build_config(self):
        """Returns the shape(s) the model was built with, as Keras records them.

        Returns:
            `{"input_shape": shape}` (the first call's input shape, or the one given to
            `build`; a list or dict of shapes for several inputs), or `None` if not built.

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> class Head(kerastorch.Model):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.dense = layers.Dense(2)
        ...     def call(self, inputs):
        ...         return self.dense(inputs)
        >>> model = Head()
        >>> model.build((None, 3))
        >>> model.get_build_config()
        {'input_shape': [None, 3]}
        """
        shape = self.__dict__.get("_kt_build_input_shape")
        return None if shape is None else {"input_shape": _subclassed.listed(shape)}

    def build_from_config(self, config):
        """Builds the model from `get_build_config()` output, as loading a `.keras` file does.

        A subclass is built completely: its own `build` (if any), then `call` run once on
        zeros of the shape, so that every layer `call` creates has its weights to load.

        Args:
            config: `{"input_shape": shape}` (a `.keras` file's `build_config`), or `None`.
        """
        if not config or "input_shape" not in config or self.built:
            return
        shape = config["input_shape"]
        if self._is_subclassed():
            _subclassed.build_completely(self, shape, in_scope=False)     # Keras: outside the model's scope
        else:
            self.build(shape if isinstance(shape, dict) else tuple(shape))

    def _is_subclassed(self):
        return (self.module is None and type(self).call is not Model.call
                and "_stack" not in self.__dict__ and "_plan" not in self.__dict__)

    def _maybe_build_from_data(self, data_shape):
        # The trainer's hook: a subclassed model is built from the first batch's shape(s),
        # completely (its build, then call on zeros), before the optimizer is made over its weights.
        if not self.built and self._is_subclassed():
            _subclassed.build_completely(self, _subclassed.batch_shapes(data_shape))

    def _plain_module(self):
        return self.module is not None and not isinstance(self.module, Layer)

    @property
    def weights(self):
        if self._plain_module():
            return _variables.module_variables(self, self.module)
        return super().weights

    @property
    def trainable_weights(self):
        if self._plain_module():
            return _variables.module_variables(self, self.module, trainable_only=True) if self.trainable else []
        return super().trainable_weights

    @property
    def non_trainable_weights(self):
        if self._plain_module():
            return [v for v in self.weights if not (self.trainable and v.trainable)]
        return super().non_trainable_weights

    def _weight_slots(self):
        if self._plain_module():
            return TorchModuleWrapper._weight_slots(_Shim(self.module, self.name))
        return super()._weight_slots()

    def get_config(self):
        """The model's config: Keras' automatic one for a subclass whose `__init__` takes plain values.

        A subclass that overrides `get_config` gets `{"name", "trainable", "dtype"}` from
        `super().get_config()`, to which it adds its own arguments, as in Keras. One that
        does not gets the arguments its constructor was called with, when they are all
        strings, numbers, booleans or `None` (nested in lists and dicts too).

        Raises:
            NotImplementedError: for a subclass created with other values (a layer, an
                array) that does not override `get_config`, with Keras' message and example.
        """
        config = Layer.get_config(self)
        if self.module is not None or type(self).get_config is not Model.get_config:
            return config
        return _subclassed.automatic_config(self, config)

    def _keras_h5_tree(self):
        """The `.weights.h5` groups Keras writes for a subclassed model (attributes, sorted)."""
        return _subclassed.h5_tree(self)

    def get_layer(self, name=None, index=None):
        """Returns a layer by name or by index in `model.layers`.

        Args:
            name: The layer's name.
            index: Its position in `model.layers`.

        Raises:
            ValueError: if no such layer exists; the message lists the layer names.
        """
        layers = self.layers
        if index is not None and name is not None:
            raise ValueError("get_layer: give either `name` or `index`, not both.")
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer(index={index}): model '{self.name}' has {len(layers)} layers "
                    f"(valid indices 0..{len(layers) - 1})."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name!r} in model '{self.name}'. Existing layers: "
                f"{', '.join(repr(l.name) for l in layers) or 'none'}."
            )
        raise ValueError("get_layer: provide a layer `name` or an `index`.")

    @property
    def layers(self):
        """The model's layers, in order."""
        return self._sublayers()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a table of the layers with their output shapes and parameter counts, as Keras.

        Args:
            line_length: Total width of the table. Defaults to 88 (100 with
                `show_trainable`), at most the terminal's width less 4.
            positions: Right edges of the columns as fractions of `line_length`. Defaults
                to `[0.45, 0.80, 1.0]`.
            print_fn: Function called once with the whole table (a string), as Keras calls
                it. Defaults to `None` (printed).
            expand_nested: Whether to list the layers of nested models under them.
                Defaults to `False`.
            show_trainable: Whether to add a "Trainable" column. Defaults to `False`.
            layer_range: Optional pair of layer names (or regexes), the first and the last
                layer to show. Defaults to `None` (all).

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
        >>> lines = []
        >>> model.summary(print_fn=lines.append)
        >>> "Total params: 8 (32.00 B)" in lines[0]
        True
        """
        from kerastorch.models.summary import print_summary

        extra = []
        if self._plain_module():
            extra.append(("module", type(self.module).__name__, "?",
                          f"{sum(p.numel() for p in self.module.parameters()):,}"))
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range, extra_rows=extra)


    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model to a `.keras` archive, Keras 3's format (real Keras 3 can load it).

        The archive holds the config, the weights, the compile settings and the optimizer's
        state, so that `kerastorch.models.load_model` gives a model that continues training
        exactly. The file is written atomically (a temporary file, then renamed).

        Args:
            filepath: Path ending in `.keras`; a folder name with `zipped=False`; or a path
                ending in `.h5` for Keras' legacy HDF5 format (with Keras' legacy warning).
            overwrite: Whether to replace an existing file. Defaults to `True`.
            zipped: `False` writes Keras' unzipped folder instead of the zip. Defaults to
                `None` (zipped).
            **kwargs: `include_optimizer` (default `True`) and Keras' deprecated `save_format`.

        Example:
        >>> import os, tempfile, kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
        >>> model.save(os.path.join(tempfile.mkdtemp(), "model.keras"))
        """
        from kerastorch import saving

        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights (and optimizer state) to a Keras 3 `.weights.h5` file, atomically.

        Args:
            filepath: Path ending in `.weights.h5`.
            overwrite: Whether to replace an existing file. Defaults to `True`.

        Example:
        >>> import os, tempfile, kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
        >>> model.save_weights(path)
        >>> model.load_weights(path)
        """
        from kerastorch import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        """Loads weights from a `.weights.h5`, `.keras` or legacy Keras `.h5` file.

        Every weight is checked before any is assigned: on a mismatch nothing changes.

        Args:
            filepath: Path to the file.
            skip_mismatch: Whether to skip layers whose weights do not match, with a
                warning, instead of raising. Defaults to `False`.
            by_name: Legacy `.h5` only: match layers by name. Defaults to `False`.

        Raises:
            ValueError: naming the file, the layer and the expected and found shapes.
        """
        from kerastorch import saving

        if kwargs:
            raise TypeError(f"load_weights: unexpected arguments {sorted(kwargs)}.")
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """Returns the model's Keras config as a JSON string (`model_from_json` reads it).

        Args:
            **kwargs: Passed to `json.dumps` (e.g. `indent=2`).

        Example:
        >>> import json, kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
        >>> json.loads(model.to_json())["class_name"]
        'Sequential'
        """
        import json

        from kerastorch.saving import serialization

        return json.dumps(serialization.serialize_layer(self), **kwargs)

    def export(self, filepath, format="torch", input_shape=None, verbose=True):
        """Exports the inference graph as a standalone PyTorch program (no kerastorch needed).

        Uses `torch.export` (load with `torch.export.load(path).module()`), with a dynamic
        batch axis; falls back to TorchScript (`torch.jit.load(path)`) with a warning if
        `torch.export` fails.

        Args:
            filepath: Output path, conventionally ending in `.pt2`.
            format: `"torch"` (the only format). Defaults to `"torch"`.
            input_shape: Optional input shape `(None, ...)`. Defaults to the model's.
            verbose: Whether to print what was written. Defaults to `True`.

        Returns:
            `"torch.export"` or `"torchscript"`, the format written.
        """
        from kerastorch.saving.export import export_model

        if format not in ("torch", "torch.export", "pt2"):
            raise ValueError(f"export: format={format!r} is not supported; kerastorch exports "
                             "format='torch' (torch.export, .pt2).")
        return export_model(self, filepath, input_shape=input_shape, verbose=verbose)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a model from `get_config()` output (a `Sequential` config holds `layers`).

        Args:
            config: The model's config dict.
            custom_objects: Optional dict of name -> class, for custom layers.

        Returns:
            A new, uncompiled model.
        """
        from kerastorch.saving import serialization

        if "input_layers" in config and "output_layers" in config:
            from kerastorch.models import functional_config

            return functional_config.from_config(config, custom_objects=custom_objects)
        if "layers" in config and (cls is Model or hasattr(cls, "add")):
            return serialization.sequential_from_config(config, custom_objects=custom_objects,
                                                        cls=cls if hasattr(cls, "add") else None)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(
                f"Unable to revive model from config. When overriding the `get_config()` method, make "
                f"sure that the returned config contains all items used as arguments in the constructor "
                f"to {cls}, which is the default behavior. You can override this default behavior by "
                f"defining a `from_config(cls, config)` class method to specify how to create an instance "
                f"of {cls.__name__} from its config.\n\nReceived config={config}\n\nError encountered "
                f"during deserialization: {e}"
            ) from e


def _call_args(model):
    from kerastorch.layers.base import _call_arguments
    return _call_arguments(type(model))


class _Shim:
    """Presents a plain module to TorchModuleWrapper's weight helpers."""

    def __init__(self, module, name="module"):
        self.module = module
        self.name = name

    def _module_tensors(self):
        return TorchModuleWrapper._module_tensors(self)
