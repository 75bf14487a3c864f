"""Reading and setting the learning rate of kerastorch and plain `torch.optim` optimizers."""

import torch


def _optimizer(model, who):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            f"{who} needs the model's optimizer, but model.optimizer is None. Call "
            "model.compile(optimizer=...) before fit()."
        )
    return optimizer


def get_learning_rate(optimizer, who):
    """The current learning rate as a python float (the first param group's for torch.optim)."""
    if isinstance(optimizer, torch.optim.Optimizer):
        return float(optimizer.param_groups[0]["lr"])
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{who}: the optimizer {type(optimizer).__name__} has no `learning_rate` attribute; "
            "use a kerastorch optimizer or a torch.optim.Optimizer."
        )
    return float(optimizer.learning_rate)


def set_learning_rate(optimizer, value, who):
    """Sets the learning rate (every param group for torch.optim)."""
    if isinstance(optimizer, torch.optim.Optimizer):
        for group in optimizer.param_groups:
            group["lr"] = float(value)
        return
    try:
        optimizer.learning_rate = float(value)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{who} could not set the learning rate: {e}") from e
