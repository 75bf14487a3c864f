"""What the multi-head attention layers share: calls on several tensors, Keras' masks, causal masks."""

import torch

from kerastorch import constraints, initializers, regularizers
from kerastorch.layers.base import Layer, resolve_training, convert_inputs, format_shape


def where(layer):
    return f"{type(layer).__name__} layer '{layer.name}'"


def check_positive_int(layer_name, arg, value, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer_name}: `{arg}` must be a positive integer{' or None' if allow_none else ''}, "
                         f"got {arg}={value!r}.")


def shape_of(x):
    return None if x is None else (None, *tuple(x.shape[1:]))


def causal_mask(query_length, key_length, device):
    """`(1, T, S)` boolean lower-triangular mask: position i attends to j <= i (top-left aligned)."""
    return torch.ones((query_length, key_length), dtype=torch.bool, device=device).tril().unsqueeze(0)


def sliding_window_mask(query_length, key_length, window, device):
    """`(1, T, S)` band: position i attends to j with |i - j| < window, as Keras' `sliding_window`."""
    rows = torch.arange(query_length, device=device).unsqueeze(-1)
    cols = torch.arange(key_length, device=device).unsqueeze(0)
    return ((rows - cols).abs() < window).unsqueeze(0)


def as_bool(mask):
    mask = torch.as_tensor(mask)
    return mask if mask.dtype is torch.bool else mask.bool()


class MultiInputAttention(Layer):
    """Base of `MultiHeadAttention` and `GroupedQueryAttention`: `layer(query, value, key=None, ...)`.

    The layer builds from the shapes of `query`, `value` and `key` on its first call (eager or
    symbolic); Keras' masks of the tensors (`_keras_mask`) become `query_mask`/`value_mask`/
    `key_mask` when those are not passed.
    """

    def _init_common(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                     activity_regularizer, kernel_constraint, bias_constraint, sliding_window, seed):
        check_positive_int(where(self), "sliding_window", sliding_window, allow_none=True)
        self.supports_masking = True
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        # Keras hands the activity regularizer to the projections (their outputs are regularized),
        # not to this layer's own output.
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._sliding_window = sliding_window
        self.seed = seed

    def _sublayer_kwargs(self):
        # A fresh initializer per projection (a seeded one would otherwise give four equal kernels'
        # draws in Keras too: it clones from the config the same way).
        return dict(kernel_initializer=type(self._kernel_initializer).from_config(self._kernel_initializer.get_config()),
                    bias_initializer=type(self._bias_initializer).from_config(self._bias_initializer.get_config()),
                    kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self._dtype_policy)

    def _common_config(self):
        ser = lambda reg, obj: reg.serialize(obj) if obj is not None else None  # noqa: E731
        return {"kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": ser(regularizers, self._kernel_regularizer),
                "bias_regularizer": ser(regularizers, self._bias_regularizer),
                "activity_regularizer": ser(regularizers, self._activity_regularizer),
                "kernel_constraint": ser(constraints, self._kernel_constraint),
                "bias_constraint": ser(constraints, self._bias_constraint)}

    # ------------------------------------------------------------------ building
    def _build_wrapper(self, input_shape, value_shape=None, key_shape=None):
        # A symbolic call builds with the query's shape only; the build waits for
        # compute_output_spec, which has all three shapes.
        if self.built or value_shape is None:
            return
        from kerastorch import variables as _variables

        self._build_shapes = {"query_shape": tuple(input_shape), "value_shape": tuple(value_shape),
                              "key_shape": None if key_shape is None else tuple(key_shape)}
        with _variables.name_scope_of(self):
            self.build(tuple(input_shape), tuple(value_shape), None if key_shape is None else tuple(key_shape))
        self.built = True
        if not self._trainable:
            for p in self.parameters():
                p.requires_grad_(False)

    def get_build_config(self):
        """Keras' `build_config`: `{"shapes_dict": {"query_shape", "value_shape"(, "key_shape")}}`."""
        shapes = {k: list(v) for k, v in self._build_shapes.items() if v is not None}
        return {"shapes_dict": shapes}

    def build_from_config(self, config):
        """Builds from a `get_build_config()` dict (Keras' `shapes_dict`)."""
        shapes = (config or {}).get("shapes_dict") or {}
        if shapes.get("query_shape") is not None and shapes.get("value_shape") is not None:
            self._build_wrapper(shapes["query_shape"], shapes["value_shape"], shapes.get("key_shape"))

    def _build_sublayer(self, layer, shape):
        layer._build_wrapper(tuple(shape))

    def _check_kv_shapes(self, value_shape, key_shape):
        if key_shape is not None and tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f"{where(self)}: all dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={format_shape(value_shape)} and key_shape={format_shape(key_shape)}. "
                "Give key and value the same batch and sequence axes."
            )

    # ------------------------------------------------------------------ calling
    def _tensor(self, x, arg):
        if x is None:
            return None
        if not isinstance(x, torch.Tensor):
            x = convert_inputs(self, x, keep_integers=False)
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"{where(self)}: `{arg}` must be a tensor or an array, got {type(x).__name__}.")
        return self._cast_input(x)

    def forward(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None:
            raise TypeError(
                f"{where(self)} was called without `value`. Call it as layer(query, value) (self-attention: "
                "layer(x, x)), or layer(query, value, key)."
            )
        # Keras' masks travel on the tensors; read them before any cast makes new tensors.
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key_mask is None and key is not None:
            key_mask = getattr(key, "_keras_mask", None)
        query, value, key = self._tensor(query, "query"), self._tensor(value, "value"), self._tensor(key, "key")
        for arg, x in (("query", query), ("value", value), ("key", key)):
            if x is not None and x.dim() < 3:
                raise ValueError(
                    f"{where(self)}: `{arg}` must have at least 3 axes (batch, sequence, features), got "
                    f"shape {format_shape(x.shape)}. Add a sequence axis, e.g. x[:, None, :]."
                )
        if not self.built:
            self._build_wrapper(shape_of(query), shape_of(value), shape_of(key))
        if training is None:
            training = resolve_training(self)
        kwargs = dict(value=value, key=key, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                      attention_mask=attention_mask, return_attention_scores=return_attention_scores,
                      training=training, use_causal_mask=use_causal_mask)
        if self._autocast_torch_dtype is None:
            return self.call(query, **kwargs)
        return self._call_with_autocast(query, kwargs)

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False):
        """Keras' combined `(B, T, S)` boolean mask: query mask `(B, T, 1)` & value/key masks
        `(B, 1, S)` & causal `(1, T, S)` & sliding window & `attention_mask`."""
        auto = None

        def both(a, b):
            return b if a is None else a & b

        if query_mask is not None:
            auto = as_bool(query_mask).to(query.device).unsqueeze(-1)
        if value_mask is not None:
            auto = both(auto, as_bool(value_mask).to(query.device).unsqueeze(-2))
        if key_mask is not None:
            auto = both(auto, as_bool(key_mask).to(query.device).unsqueeze(-2))
        if use_causal_mask:
            auto = both(auto, causal_mask(query.shape[1], value.shape[1], query.device))
        if self._sliding_window is not None:
            auto = both(auto, sliding_window_mask(query.shape[1], value.shape[1], self._sliding_window,
                                                  query.device))
        if attention_mask is not None:
            attention_mask = as_bool(attention_mask).to(query.device)
        if auto is not None:
            attention_mask = auto if attention_mask is None else attention_mask & auto
        return attention_mask

    def compute_mask(self, inputs, previous_mask=None):
        """The output mask: the query's mask (Keras' `previous_mask` of the first argument)."""
        return previous_mask

    def _output_spec(self, output_shape, scores_shape, return_attention_scores):
        from kerastorch.layers.symbolic import spec_from_shapes

        out = spec_from_shapes(tuple(output_shape), self.compute_dtype)
        if return_attention_scores:
            return out, spec_from_shapes(tuple(scores_shape), self.compute_dtype)
        return out
