"""Callbacks: hooks into `fit`, `evaluate` and `predict`, as in `keras.callbacks`."""

from kerastorch.callbacks.callback import Callback, CallbackList
from kerastorch.callbacks.history import History
from kerastorch.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
from kerastorch.callbacks.monitor_callback import MonitorCallback
from kerastorch.callbacks.early_stopping import EarlyStopping
from kerastorch.callbacks.model_checkpoint import ModelCheckpoint
from kerastorch.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerastorch.callbacks.learning_rate_scheduler import LearningRateScheduler
from kerastorch.callbacks.csv_logger import CSVLogger
from kerastorch.callbacks.terminate_on_nan import TerminateOnNaN
from kerastorch.callbacks.lambda_callback import LambdaCallback

__all__ += ["MonitorCallback", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
            "CSVLogger", "TerminateOnNaN", "LambdaCallback"]
from kerastorch.callbacks.backup_and_restore import BackupAndRestore
from kerastorch.callbacks.tensorboard import TensorBoard

__all__ += ["BackupAndRestore", "TensorBoard"]
from kerastorch.callbacks.remote_monitor import RemoteMonitor

__all__ += ["RemoteMonitor"]
from kerastorch.callbacks.swap_ema_weights import SwapEMAWeights
from kerastorch.callbacks.orbax_checkpoint import OrbaxCheckpoint

__all__ += ["SwapEMAWeights", "OrbaxCheckpoint"]
