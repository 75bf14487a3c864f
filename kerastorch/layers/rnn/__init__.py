"""Recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, their cells, and the generic `RNN`."""

from kerastorch.layers.rnn.base import RNN
from kerastorch.layers.rnn.gru import GRU, GRUCell
from kerastorch.layers.rnn.lstm import LSTM, LSTMCell
from kerastorch.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from kerastorch.layers.rnn.stacked_cells import StackedRNNCells
from kerastorch.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

__all__ = ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "StackedRNNCells", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
