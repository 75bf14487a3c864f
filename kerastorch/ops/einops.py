"""Keras' `keras.ops` einops functions on torch tensors."""

__all__ = []
