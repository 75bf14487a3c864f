"""What calling a `Layer` runs, from `__call__` (the call context, symbolic calls) to `forward` (input
checks, `training`, masks, casts, then `call`), and the `train()`/`eval()` modes that decide `training`.
The `LayerCallPath` mixin of `Layer`; importable from `kerastorch.layers.base` as before."""

import inspect
import sys

import numpy as np
import torch

from kerastorch import variables as _variables
from kerastorch.layers import symbolic as _symbolic
from kerastorch.layers._layer_building import _EAGER_BUILD, building_call
from kerastorch.layers.call_context import (_CALL_STATE, _EXPLICIT, _FROM_MODE, _LOSS_HOLDERS,
                                            _call_training_default, _clear_losses_below, resolve_training)
from kerastorch.layers.calling import _build_shape, _call_arguments, _set_output_masks, convert_inputs

# `Layer` inherits from `LayerCallPath`, so it cannot be imported here: base.py sets it once the
# class exists, for the code below that names it.
Layer = None


class LayerCallPath:
    """The call path of `Layer` (mixed into it): `__call__`, `forward` and the ways it takes, and
    `train()`/`eval()`. Methods moved, not wrapped: a call goes through no extra frame."""

    def __call__(self, *args, **kwargs):
        # KerasTensors (a Functional model being defined) record a node instead of computing;
        # a tensor as first argument costs one type check.
        if (not args or type(args[0]) is not torch.Tensor) and _symbolic.any_symbolic(args, kwargs):
            return _symbolic.layer_call(self, args, kwargs)
        state = _CALL_STATE
        outer = state.training
        # Keras' call context: this call's `training` reaches the sublayers its call runs.
        training = kwargs.get("training")
        outer_none = False
        if training is not None:
            state.training = _EXPLICIT.get(training) or (training, True)
        elif ("training" in kwargs and not self._kt_mode_set
              and not sys._getframe(1).f_globals.get("__name__", "").startswith("kerastorch.")):
            # The user's `layer(x, training=None)` (a model's call passing its own on): Keras gives
            # the call None, and its sublayers their defaults. (kerastorch passing None means "unset".)
            outer_none, state.none_for = state.none_for, self
            state.training = (None, False)
        elif not outer[1]:
            if self._kt_mode_set:
                state.training = _FROM_MODE[self.training]
            elif outer[0] is None:
                state.training = (_call_training_default(type(self)), False)
        try:
            if state.depth:
                return torch.nn.Module.__call__(self, *args, **kwargs)
            # A top-level call: the losses of the previous call go first.
            if _LOSS_HOLDERS and state.collect:
                _clear_losses_below(self)
            state.depth = 1
            try:
                return torch.nn.Module.__call__(self, *args, **kwargs)
            finally:
                state.depth = 0
        finally:
            state.training = outer
            if outer_none is not False:
                state.none_for = outer_none

    def train(self, mode=True):
        """Sets the module's training mode, as torch's `train()`; from then on it decides `training`.

        A layer whose mode the user never set follows Keras' rule instead (explicit argument,
        enclosing call, `call`'s default: inference for Dropout or BatchNormalization called
        eagerly). fit/evaluate/predict switch modes themselves without changing that.

        Args:
            mode: Whether to set training mode (`True`) or evaluation mode (`False`).
                Defaults to `True`.

        Returns:
            The layer itself.

        Example:
        >>> import torch
        >>> from kerastorch import layers
        >>> drop, x = layers.Dropout(0.5), torch.ones(2, 4)
        >>> torch.equal(drop(x), x)             # Keras' rule: an eager call infers
        True
        >>> drop.train().training               # from here on, this mode decides (it drops)
        True
        """
        return self._set_mode(mode, sys._getframe(1))

    def eval(self):
        """Sets evaluation mode (`train(False)`), as torch's `eval()`; see `train`."""
        return self._set_mode(False, sys._getframe(1))

    def _set_mode(self, mode, caller):
        state = _CALL_STATE
        if state.internal_mode_change or caller.f_globals.get("__name__", "").startswith("kerastorch."):
            # kerastorch switching modes (fit, evaluate, a shape trace) is not the user's choice.
            state.internal_mode_change += 1
            try:
                return torch.nn.Module.train(self, mode)
            finally:
                state.internal_mode_change -= 1
        torch.nn.Module.train(self, mode)
        for module in self.modules():
            if isinstance(module, Layer):
                module.__dict__["_kt_mode_set"] = True
        return self

    def forward(self, inputs, *args, training=None, mask=None, **kwargs):
        if self._kt_call_scope:
            # Unbuilt, or holding unbuilt sublayers: the call runs in the layer's name scope.
            return self._scoped_forward(inputs, args, kwargs, training, mask)
        if args or kwargs:      # a call(...) taking more than one tensor or its own arguments
            return self._forward_with_arguments(inputs, args, kwargs, training, mask)
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs)
        if self.input_spec is not None:
            from kerastorch.layers.input_spec import check_input_spec

            check_input_spec(self, inputs)
        if training is None:
            training = resolve_training(self)
        accepted = _call_arguments(type(self))
        kwargs = {}
        if "training" in accepted:
            kwargs["training"] = training
        # Keras' eager masks: a tensor carrying `_keras_mask` (set by the layer before it) passes
        # it to a call that takes `mask`, and a layer that supports masking sets its output's.
        first = inputs
        if mask is None and type(inputs) is torch.Tensor:
            mask = getattr(inputs, "_keras_mask", None)
        if mask is not None and "mask" in accepted:
            kwargs["mask"] = mask
        # Keras casts floating inputs to the layer's compute dtype (a float32 batch into a float64
        # layer); in the common case the dtypes already agree and this is one identity check.
        if isinstance(inputs, torch.Tensor):
            if inputs.dtype is not self._compute_torch_dtype and inputs.is_floating_point():
                inputs = inputs.to(self._compute_torch_dtype)
        elif isinstance(inputs, (list, tuple)):
            inputs = type(inputs)(self._cast_input(x) for x in inputs)
        if self._autocast_torch_dtype is None:
            outputs = self.call(inputs, **kwargs)
        else:
            outputs = self._call_with_autocast(inputs, kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        if self.supports_masking and (mask is not None or type(self).compute_mask is not Layer.compute_mask):
            _set_output_masks(self, first, outputs, mask)
        return outputs

    def _scoped_forward(self, inputs, args, kwargs, training, mask):
        """`forward` while the layer or one of its sublayers is unbuilt, in the layer's name scope.

        Keras opens a layer's name scope around every call, so sublayers built during the call
        get paths under the layer (`blocks/dense/kernel`). Weights can only be made while
        something is unbuilt, so kerastorch opens it only then: once the layer and all its
        sublayers are built (`_kt_call_scope` false), a call costs nothing more.
        """
        with _variables.name_scope_of(self):
            if not self.built:
                if not isinstance(inputs, torch.Tensor):
                    inputs = convert_inputs(self, inputs)
                if self.input_spec is not None and not (args or kwargs):
                    from kerastorch.layers.input_spec import check_input_spec

                    check_input_spec(self, inputs)
                _EAGER_BUILD[0] = True       # the call below builds the sublayers: no trace to do that
                try:
                    self._build_wrapper(_build_shape(inputs))
                finally:
                    _EAGER_BUILD[0] = False
            with building_call(self):
                return _LAYER_FORWARD(self, inputs, *args, training=training, mask=mask, **kwargs)

    def _forward_with_arguments(self, inputs, args, kwargs, training, mask):
        """A call with further positional or keyword arguments, passed on to `call` as Keras does
        (`call(self, targets, logits, sample_weights=None)`); `training` and `mask` are filled
        in where `call` takes them and the caller did not give them."""
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs)
        args = tuple(convert_inputs(self, a) if isinstance(a, np.ndarray) else a for a in args)
        if not self.built:
            self._build_wrapper(_build_shape(inputs))     # from the first argument, as Keras' build(input_shape)
        signature = inspect.signature(self.call)
        try:
            bound = signature.bind_partial(inputs, *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{type(self).__name__} '{self.name}': the arguments do not fit its "
                            f"call{signature}: {e}.") from None
        params = signature.parameters
        call_kwargs = dict(bound.kwargs)
        if "training" in params and "training" not in bound.arguments:
            call_kwargs["training"] = resolve_training(self, training)
        if mask is not None and "mask" in params and "mask" not in bound.arguments:
            call_kwargs["mask"] = mask
        if inputs.is_floating_point() and inputs.dtype is not self._compute_torch_dtype:
            inputs = inputs.to(self._compute_torch_dtype)
        outputs = self.call(inputs, *bound.args[1:], **call_kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        return outputs


# Layer's own forward (this class's: Layer does not override it), which `_scoped_forward` runs inside
# the scope (one call of `forward` per call).
_LAYER_FORWARD = LayerCallPath.forward
