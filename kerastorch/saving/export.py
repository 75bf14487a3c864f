"""`model.export(path)`: a plain PyTorch program that runs without kerastorch."""

import os
import warnings

import torch

from kerastorch.saving.atomic import atomic_write


def _example_input(model, input_shape=None, batch_size=2):
    shape = input_shape
    if shape is None:
        layer = getattr(model, "_input_layer", None)
        if layer is None:
            raise ValueError(
                f"Model '{model.name}' has no known input shape, so an example input cannot be made "
                "for export. Give the model an Input(shape=...) or pass input_shape=(None, ...)."
            )
        shape = layer.batch_shape
    if any(d is None for d in shape[1:]):
        raise ValueError(f"export: the input shape {tuple(shape)} has unknown axes besides the batch "
                         "axis; pass input_shape= with every axis but the batch fixed.")
    dtype = torch.float32
    in_layer = getattr(model, "_input_layer", None)
    if in_layer is not None and in_layer.input_dtype.startswith(("int", "uint")):
        dtype = torch.long
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    return torch.zeros((batch_size, *[int(d) for d in shape[1:]]), dtype=dtype, device=device)


class _Inference(torch.nn.Module):
    """Calls the model in inference mode (training=False), the graph that is exported."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, inputs):
        return self.model(inputs, training=False)


def export_model(model, filepath, input_shape=None, verbose=True):
    """Writes `model`'s inference graph as a standalone PyTorch program.

    First tries `torch.export` (a `.pt2` file, loaded with `torch.export.load(path).module()`)
    with a dynamic batch axis; if that fails, falls back to TorchScript (`torch.jit.trace`,
    loaded with `torch.jit.load`) and says so. Neither needs kerastorch to load or run.

    Args:
        model: The built kerastorch model.
        filepath: Output path; `.pt2` is conventional for `torch.export`.
        input_shape: Optional input shape `(None, ...)`. Defaults to the model's input shape.
        verbose: Whether to print what was written. Defaults to `True`.

    Returns:
        `"torch.export"` or `"torchscript"`: the format written.
    """
    was_training = model.training
    model.eval()
    wrapper = _Inference(model).eval()
    example = _example_input(model, input_shape)
    fmt = "torch.export"
    try:
        batch = torch.export.Dim("batch", min=1)
        with torch.no_grad():
            program = torch.export.export(wrapper, (example,), dynamic_shapes=({0: batch},))
        with atomic_write(filepath) as tmp:
            torch.export.save(program, tmp)
    except Exception as e:  # noqa: BLE001 - any export failure falls back to TorchScript
        fmt = "torchscript"
        message = (f"export: torch.export failed for model '{model.name}' ({type(e).__name__}: "
                   f"{str(e).splitlines()[0] if str(e) else ''}); writing TorchScript instead "
                   f"(load it with torch.jit.load({os.fspath(filepath)!r})).")
        warnings.warn(message, stacklevel=3)
        with torch.no_grad():
            traced = torch.jit.trace(wrapper, (example,), check_trace=False)
        with atomic_write(filepath) as tmp:
            torch.jit.save(traced, tmp)
    finally:
        model.train(was_training)
    if verbose:
        loader = "torch.export.load(path).module()" if fmt == "torch.export" else "torch.jit.load(path)"
        print(f"Saved the model as {fmt} to {os.fspath(filepath)}; load it with {loader}.")
    return fmt
