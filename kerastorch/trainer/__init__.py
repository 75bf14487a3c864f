"""The training engine: `Trainer` (compile/fit/evaluate/predict) and the data pipeline."""

from kerastorch.trainer.trainer import Trainer

__all__ = ["Trainer"]
