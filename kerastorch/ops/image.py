"""Keras' `keras.ops` image functions on torch tensors."""

__all__ = []
