"""Keras' `keras.ops.numpy` functions on torch tensors, one file per family.

Each function takes torch tensors, numpy arrays and Python scalars alike and returns a torch tensor on
the configured device, with Keras' result dtypes.
"""
