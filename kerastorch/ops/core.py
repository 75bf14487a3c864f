"""Keras' `keras.ops` core functions on torch tensors."""

__all__ = []
