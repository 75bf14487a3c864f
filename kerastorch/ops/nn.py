"""Keras' `keras.ops` nn functions on torch tensors."""

__all__ = []
