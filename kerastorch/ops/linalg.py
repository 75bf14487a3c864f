"""Keras' `keras.ops` linalg functions on torch tensors."""

__all__ = []
