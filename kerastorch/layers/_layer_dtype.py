"""A `Layer`'s dtype policy: `dtype_policy`, `dtype`, `variable_dtype`, `compute_dtype`, and the casts
and autocast a call runs in. The `LayerDTypePolicy` mixin of `Layer`; importable from
`kerastorch.layers.base` as before."""

import torch

from kerastorch.layers.calling import _to_torch_dtype


class LayerDTypePolicy:
    """The dtype policy part of `Layer` (mixed into it)."""

    def _set_dtype_policy(self, dtype):
        from kerastorch import mixed_precision

        policy = mixed_precision.get(dtype)
        self._dtype_policy = policy
        self._dtype_name = policy.name
        # What forward() needs per call, resolved once: the compute dtype floating inputs are
        # cast to, and the torch.autocast dtype of a mixed policy (None when not mixed).
        self._compute_torch_dtype = _to_torch_dtype(policy.compute_dtype)
        self._autocast_torch_dtype = policy.autocast_dtype

    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy` (from `dtype=`, else the global policy). Settable, as in Keras."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(value)

    @property
    def dtype(self):
        """The dtype of the layer's weights (its `variable_dtype`), e.g. `"float32"`."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights, from its dtype policy."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype the layer computes in (floating inputs are cast to it), from its dtype policy."""
        return self._dtype_policy.compute_dtype

    def _cast_input(self, x):
        """`x` in the compute dtype when it is a floating tensor of another dtype, else `x`."""
        if isinstance(x, torch.Tensor) and x.dtype is not self._compute_torch_dtype and x.is_floating_point():
            return x.to(self._compute_torch_dtype)
        return x

    def _call_with_autocast(self, inputs, kwargs):
        """Runs `call` under `torch.autocast` in the compute dtype of a mixed policy.

        Weights stay in `variable_dtype`; autocast runs matmuls and convolutions in the
        compute dtype. Inside an autocast of the same dtype (the trainer's, for a global
        mixed policy) no second context is entered.
        """
        device_type = inputs.device.type if isinstance(inputs, torch.Tensor) else "cpu"
        dtype = self._autocast_torch_dtype
        if torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == dtype:
            outputs = self.call(inputs, **kwargs)
        else:
            with torch.autocast(device_type=device_type, dtype=dtype):
                outputs = self.call(inputs, **kwargs)
        # An op autocast leaves in float32 (torch's GRU kernel): outputs in the compute dtype, as Keras'.
        if isinstance(outputs, torch.Tensor) and outputs.dtype is not dtype and outputs.is_floating_point():
            outputs = outputs.to(dtype)
        return outputs
