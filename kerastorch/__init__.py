"""kerastorch: Keras `Sequential` models, trained on PyTorch.

Use it as a drop-in for Keras: `import kerastorch as keras`, `from kerastorch import layers`.
"""

from kerastorch import config

__version__ = "0.1.0"
