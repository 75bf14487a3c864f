"""`TensorBoard`: writes the training logs for TensorBoard with `torch.utils.tensorboard`."""

import os
import time

import numpy as np
import torch

from kerastorch import distribution
from kerastorch.callbacks import _lr
from kerastorch.callbacks.callback import Callback


def _summary_writer_class():
    """`torch.utils.tensorboard.SummaryWriter`, or a clear ImportError when tensorboard is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as e:
        raise ImportError(
            "kerastorch.callbacks.TensorBoard writes event files with "
            "torch.utils.tensorboard.SummaryWriter, which needs the `tensorboard` package: "
            f"pip install tensorboard (import failed: {e})."
        ) from e
    return SummaryWriter


class TensorBoard(Callback):
    """Writes the epoch logs (and optionally batch logs and weight histograms) for TensorBoard.

    Training values go to `log_dir/train`, validation values to `log_dir/validation`, as
    scalars tagged `epoch_<name>` (the `val_` prefix dropped) at step `epoch`, like Keras.
    The learning rate is logged as `epoch_learning_rate`. Needs the `tensorboard` package
    (`pip install tensorboard`); view with `tensorboard --logdir logs`.

    Args:
        log_dir: Directory of the event files. Defaults to `"logs"`.
        histogram_freq: Every this many epochs, write a histogram of every weight
            (`0`: never). Defaults to `0`.
        write_graph: Whether to write the model's graph (traced by
            `SummaryWriter.add_graph` on an all-zeros batch of one sample) when training
            starts; a model that cannot be traced gets a warning naming the cause. Defaults
            to `True`.
        write_images: Whether to write the weights as images when histograms are written
            (every `histogram_freq` epochs), shaped as Keras shapes them. Defaults to `False`.
        write_steps_per_second: Whether to log training steps per second each epoch.
            Defaults to `False`.
        update_freq: `"epoch"`, `"batch"` or an integer: with `"batch"` or `N`, the running
            batch logs are also written as `batch_<name>` every `N` batches (a device sync
            per batch). Defaults to `"epoch"`.
        profile_batch: Not supported (must be `0`). Defaults to `0`.
        embeddings_freq: Not supported (must be `0`). Defaults to `0`.
        embeddings_metadata: Not supported (must be `None`). Defaults to `None`.

    Raises:
        ImportError: At the start of training, when `tensorboard` is not installed.
        ValueError: For a bad `update_freq`, a non-zero `profile_batch`/`embeddings_freq`, or
            `embeddings_metadata`.

    Example:
    >>> tensorboard_callback = TensorBoard(log_dir="./logs")
    >>> # model.fit(x, y, epochs=3, callbacks=[tensorboard_callback])
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch" and (isinstance(self.update_freq, bool)
                                            or not isinstance(self.update_freq, int) or self.update_freq < 1):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer, got "
                f"update_freq={update_freq!r}."
            )
        if profile_batch not in (0, None) or embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                "kerastorch's TensorBoard callback does not support profiling or embeddings; got "
                f"profile_batch={profile_batch!r}, embeddings_freq={embeddings_freq!r}, "
                f"embeddings_metadata={embeddings_metadata!r}. Pass 0 for both and no metadata "
                "(use torch.profiler to profile; write embeddings with SummaryWriter.add_embedding)."
            )
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0
        if self.update_freq != "epoch":
            # Batch hooks make fit() read the logs after every batch: add them only when asked.
            self.__class__ = _BatchTensorBoard

    def _writer(self, kind):
        if not distribution.is_chief():   # under torchrun, rank 0 alone writes event files
            return _NullWriter()
        if kind not in self._writers:
            writer_cls = _summary_writer_class()
            self._writers[kind] = writer_cls(log_dir=os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def on_train_begin(self, logs=None):
        _summary_writer_class()  # fail at the start, not after the first epoch
        self._global_train_batch = 0
        if self.write_graph:
            self._write_graph()

    def _write_graph(self):
        import warnings

        model = self.model
        layer = getattr(model, "_input_layer", None)
        shape = getattr(layer, "batch_shape", None)
        problem = None
        if shape is None or any(d is None for d in shape[1:]):
            problem = "the model has no fully known input shape (give it an Input(shape=...))"
        else:
            dtype = torch.long if str(getattr(layer, "input_dtype", "float32")).startswith(("int", "uint")) \
                else torch.float32
            params = list(model.parameters())
            device = params[0].device if params else torch.device("cpu")
            example = torch.zeros((1, *[int(d) for d in shape[1:]]), dtype=dtype, device=device)
            was_training = model.training
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")      # torch.jit.trace's deprecation notices
                    self._writer("train").add_graph(model.eval(), example)
            except Exception as e:  # noqa: BLE001 - any tracing failure becomes the warning below
                problem = f"tracing it failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            finally:
                model.train(was_training)
        if problem:
            warnings.warn(f"TensorBoard(write_graph=True): the graph of model '{model.name}' was not "
                          f"written: {problem}. Pass write_graph=False to skip it.", stacklevel=3)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()
            self._epoch_start_iterations = _iterations(self.model)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in train_logs:
            try:
                train_logs["learning_rate"] = _lr.get_learning_rate(optimizer, "TensorBoard")
            except ValueError:
                pass
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = (_iterations(self.model) - self._epoch_start_iterations) / elapsed
        if train_logs:
            writer = self._writer("train")
            for name, value in train_logs.items():
                writer.add_scalar(f"epoch_{name}", float(value), global_step=epoch)
            writer.flush()
        if val_logs:
            writer = self._writer("validation")
            for name, value in val_logs.items():
                writer.add_scalar(f"epoch_{name}", float(value), global_step=epoch)
            writer.flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            # Keras' tags: each weight by its path, in Keras' layout.
            for weight in self.model.weights:
                value = torch.as_tensor(np.asarray(weight)).detach().cpu()
                name = weight.path.replace(":", "_")
                writer.add_histogram(f"{name}/histogram", value, global_step=epoch)
                if self.write_images:
                    image = _weight_image(value)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, global_step=epoch, dataformats="NHWC")
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _weight_image(weight):
    """A weight as Keras' TensorBoard draws it: an `(N, H, W, C)` image batch, or `None` (Keras
    draws no image for scalars, 3-D kernels or 4-D ones with another channel count than 1, 3, 4)."""
    w = weight.squeeze()
    if w.dim() == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.dim() == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.dim() == 3:            # a Conv1D kernel (k, in, out): one image per output channel
        w = w.permute(2, 0, 1).unsqueeze(-1)
    elif not (w.dim() == 4 and w.shape[-1] in (1, 3, 4)):
        return None
    # Keras passes the raw values to an image summary, which reads floats in [0, 1].
    return w.clamp(0.0, 1.0)


class _NullWriter:
    """What ranks other than 0 write to: nothing."""

    def add_scalar(self, *args, **kwargs):
        pass

    add_histogram = add_images = add_graph = flush = close = add_scalar


class _BatchTensorBoard(TensorBoard):
    """`TensorBoard` with batch-level logging (`update_freq` not `"epoch"`)."""

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        if self._global_train_batch % self.update_freq or not isinstance(logs, dict):
            return
        writer = self._writer("train")
        for name, value in logs.items():
            writer.add_scalar(f"batch_{name}", float(value), global_step=self._global_train_batch)


def _iterations(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return 0
    if isinstance(optimizer, torch.optim.Optimizer):
        steps = [s.get("step") for s in optimizer.state.values() if "step" in s]
        return int(max(steps)) if steps else 0
    try:
        return int(optimizer.iterations)
    except (AttributeError, TypeError):
        return 0

