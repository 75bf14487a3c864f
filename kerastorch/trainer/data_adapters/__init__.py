"""Data adapters: every kind of source `fit`/`evaluate`/`predict` accept, behind one interface.

`get_data_adapter(...)` picks the adapter for a source:

| source                                   | adapter             |
|------------------------------------------|---------------------|
| numpy arrays / tensors (or lists, tuples, dicts of them) | `ArrayDataAdapter` |
| `torch.utils.data.DataLoader`            | `DataLoaderAdapter` |
| `torch.utils.data.Dataset`               | `DatasetAdapter`    |
| `kerastorch.utils.PyDataset`             | `PyDatasetAdapter`  |
| Python generator or iterator             | `GeneratorAdapter`  |

Every adapter yields batches `(x, y, sample_weight)` of tensors on the device (see `base.py`).
"""

import torch

from kerastorch.trainer.data_adapters import conversions
from kerastorch.trainer.data_adapters.array_adapter import ArrayDataAdapter, split_validation
from kerastorch.trainer.data_adapters.base import DataAdapter
from kerastorch.trainer.data_adapters.conversions import describe, inspect_generator
from kerastorch.trainer.data_adapters.generator_adapter import GeneratorAdapter
from kerastorch.trainer.data_adapters.py_dataset_adapter import PyDatasetAdapter
from kerastorch.trainer.data_adapters.torch_adapter import DataLoaderAdapter, DatasetAdapter


def source_kind(x):
    """The kind of a batch source (`"DataLoader"`, `"PyDataset"`, `"Dataset"`, `"generator"`), or
    `None` for in-memory arrays."""
    from kerastorch.utils.py_dataset import PyDataset

    if isinstance(x, torch.utils.data.DataLoader):
        return "DataLoader"
    if isinstance(x, PyDataset):
        return "PyDataset"
    if isinstance(x, torch.utils.data.Dataset):
        return "Dataset"
    if inspect_generator(x):
        return "generator"
    return None


def convert_arrays(x, y, sample_weight, keep_int_x, where, adjust_x=None):
    """`(x, y, sample_weight)` as tensors (or structures of tensors), with the checks that must
    come before any step: data given, one sample axis, the same number of samples everywhere.

    Args:
        x, y, sample_weight: What the user passed.
        keep_int_x: Whether integer inputs keep an integer dtype.
        where: The call, for error messages (`"fit"`, `"evaluate"`, ...).
        adjust_x: Optional function applied to a single input tensor (the model's input-rank rule).
    """
    if x is None:
        raise ValueError(f"{where}() needs input data: pass x (a numpy array or a torch tensor, or a list "
                         "or dict of them for a model with several inputs).")
    x_t = conversions.structure_to_tensors(x, "x", keep_integers=keep_int_x)
    if isinstance(x_t, torch.Tensor):
        if x_t.dim() == 0:
            raise ValueError(f"`x` must have a sample axis, got a scalar ({x!r}).")
        if adjust_x is not None:
            x_t = adjust_x(x_t)
    y_t = conversions.structure_to_tensors(y, "y")
    sw_t = conversions.structure_to_tensors(sample_weight, "sample_weight", keep_integers=False)
    conversions.check_lengths(x_t, y_t, sw_t)
    return x_t, y_t, sw_t


def get_data_adapter(x, y=None, sample_weight=None, *, batch_size, shuffle, device, steps=None, keep_int_x=True,
                     where="fit", class_weight=None, validation_split=0.0, shard=None, adjust_x=None,
                     validation_steps=None):
    """The data adapter for `x` (and `y`, `sample_weight` for arrays).

    Args:
        x, y, sample_weight: What `fit`/`evaluate`/`predict` received.
        batch_size: Samples per batch, for arrays and Datasets.
        shuffle: Whether to shuffle each epoch (arrays, Datasets, PyDatasets).
        device: The `torch.device` batches are delivered on.
        steps: Optional cap on batches per epoch.
        keep_int_x: Whether integer inputs keep an integer dtype.
        where: The call, for error messages (`"fit"`, `"fit(validation_data=...)"`, ...).
        class_weight: Optional `{class id: weight}`: per-sample weights from the targets.
        validation_split: For arrays: the fraction of samples (the last ones) held out.
        shard: Optional `(rank, world_size)` for array data parallelism.
        adjust_x: Optional function applied to a single input tensor (the model's input-rank rule).
        validation_steps: Optional cap on the batches of the split-off validation data.

    Returns:
        `(adapter, validation_adapter)`; the second is `None` without `validation_split`.
    """
    kind = source_kind(x)
    label = f"{where}(x=...)" if "(" not in where else where
    if kind is not None:
        for arg, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None:
                raise ValueError(
                    f"`{arg}` cannot be passed separately when {label} is a {kind}: got {arg}="
                    f"{describe(value)}. Let the {kind} yield (x, y) or (x, y, sample_weight) batches."
                )
        if validation_split:
            raise ValueError(
                f"`validation_split` is only supported when x is an array or a tensor, but x is a "
                f"{describe(x)}, whose samples cannot be split off. Pass "
                "validation_data=... instead (a DataLoader, a generator or (x_val, y_val))."
            )
        if kind == "DataLoader":
            return DataLoaderAdapter(x, device, keep_int_x, steps, class_weight, label), None
        if kind == "Dataset":
            return DatasetAdapter(x, batch_size, shuffle, device, keep_int_x, steps, class_weight, label), None
        if kind == "PyDataset":
            return PyDatasetAdapter(x, shuffle, device, keep_int_x, steps, class_weight, label), None
        return GeneratorAdapter(x, device, keep_int_x, steps, class_weight, label), None
    data = convert_arrays(x, y, sample_weight, keep_int_x, where, adjust_x)
    if class_weight is not None:
        conversions.check_class_weight(class_weight, data[2], data[1])
    val = None
    if validation_split:
        data, val = split_validation(data, validation_split)
    if class_weight is not None:   # the training samples only: Keras' val_loss is unweighted
        x_t, y_t, sw_t = data
        data = (x_t, y_t, conversions.class_weight_to_sample_weight(y_t, class_weight, sw_t))
    adapter = ArrayDataAdapter(data, batch_size, shuffle, device, steps, shard)
    if val is not None:
        val = ArrayDataAdapter(val, batch_size, False, device, validation_steps, shard)
    return adapter, val


__all__ = ["ArrayDataAdapter", "DataAdapter", "DataLoaderAdapter", "DatasetAdapter", "GeneratorAdapter",
           "PyDatasetAdapter", "convert_arrays", "describe", "get_data_adapter", "inspect_generator",
           "source_kind", "split_validation"]
