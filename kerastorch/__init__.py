"""kerastorch: Keras `Sequential` models, trained on PyTorch.

Use it as a drop-in for Keras: `import kerastorch as keras`, `from kerastorch import layers`.
Every model is a `torch.nn.Module`; any `torch.nn.Module` can be trained with
`kerastorch.Model(module).fit(...)`.
"""

from kerastorch import config
from kerastorch import backend
from kerastorch import random
from kerastorch import mixed_precision
from kerastorch import activations, constraints, initializers, regularizers
from kerastorch import layers
from kerastorch import losses, metrics, optimizers
from kerastorch import callbacks
from kerastorch import models
from kerastorch import saving
from kerastorch import utils
from kerastorch import datasets
from kerastorch import preprocessing
from kerastorch import applications
from kerastorch.layers import Input, KerasTensor, Layer
from kerastorch.models import Model, Sequential
from kerastorch.variables import Variable

__version__ = "0.1.0"

__all__ = ["Input", "KerasTensor", "Layer", "Model", "Sequential", "Variable", "activations", "applications", "backend", "callbacks", "config",
           "constraints", "datasets", "initializers", "layers", "losses", "metrics", "mixed_precision", "models", "optimizers",
           "random", "regularizers", "saving", "utils"]
