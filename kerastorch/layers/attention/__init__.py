"""Attention layers: `MultiHeadAttention`, `GroupQueryAttention`, `Attention`, `AdditiveAttention`."""

from kerastorch.layers.attention.additive import AdditiveAttention
from kerastorch.layers.attention.attention import Attention
from kerastorch.layers.attention.grouped_query import GroupedQueryAttention, GroupQueryAttention
from kerastorch.layers.attention.multi_head import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "GroupQueryAttention", "GroupedQueryAttention", "MultiHeadAttention"]
