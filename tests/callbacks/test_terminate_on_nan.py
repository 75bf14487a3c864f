import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers


def _model():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_stops_on_invalid_loss(bad, capsys):
    model = _model()
    cb = callbacks.TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cb.on_train_batch_end(1, {"loss": bad})
    assert model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_raise_error():
    cb = callbacks.TerminateOnNaN(raise_error=True)
    cb.set_model(_model())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        cb.on_train_batch_end(3, {"loss": float("nan")})


@pytest.mark.filterwarnings("ignore:The training loss is nan")  # the trainer's own end-of-epoch notice
def test_fit_stops_in_the_batch_where_the_loss_turns_nan():
    model = _model()
    seen = []
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    x = np.array([[1.0], [1.0], [np.nan], [1.0], [1.0], [1.0]], dtype="float32")
    history = model.fit(x, np.ones((6, 1)), batch_size=1, epochs=5, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN(), counter])
    assert seen == [0, 1, 2]  # the NaN sample is batch 2; nothing runs after it
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])


def test_fit_without_nan_runs_every_epoch():
    model = _model()
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert history.epoch == [0, 1, 2]
