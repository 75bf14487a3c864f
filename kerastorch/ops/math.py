"""Keras' `keras.ops` math functions on torch tensors."""

__all__ = []
