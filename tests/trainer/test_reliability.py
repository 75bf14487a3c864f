"""Training that fails safely: Ctrl-C, NaN values, device mix-ups."""

import os
import signal
import threading

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers


def _model():
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals")
def test_ctrl_c_stops_after_the_current_batch_and_returns_the_history():
    class InterruptInEpochTwo(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 2:
                os.kill(os.getpid(), signal.SIGINT)    # what Ctrl-C sends
            self.batches_after_signal = getattr(self, "batches_after_signal", 0) + (self.epoch == 1 and batch > 2)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    model = _model()
    cb = InterruptInEpochTwo()
    # An interactive process: Python's own Ctrl-C handler is in place (a test run started with
    # SIGINT ignored has SIG_IGN instead, which fit must leave alone: see the next test).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        history = model.fit(np.random.rand(80, 3), np.random.rand(80, 1), epochs=5, batch_size=8,
                            callbacks=[cb], verbose=0)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert history.epoch == [0]                      # only the completed epoch is recorded
    assert cb.batches_after_signal == 0             # stopped right after the batch it arrived in
    assert model.predict(np.zeros((2, 3)), verbose=0).shape == (2, 1)   # the model is usable


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals")
@pytest.mark.parametrize("handler", ["ignore", "custom"])
def test_fit_leaves_an_ignored_or_custom_sigint_handler_in_place(handler):
    received = []
    installed = signal.SIG_IGN if handler == "ignore" else (lambda signum, frame: received.append(signum))

    class SendSigint(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.seen = signal.getsignal(signal.SIGINT)
            if batch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, installed)
    try:
        cb = SendSigint()
        history = _model().fit(np.random.rand(40, 3), np.random.rand(40, 1), epochs=3, batch_size=8,
                               callbacks=[cb], verbose=0)
        assert cb.seen is installed                  # fit did not swap the handler
        assert signal.getsignal(signal.SIGINT) is installed
    finally:
        signal.signal(signal.SIGINT, previous)
    assert history.epoch == [0, 1, 2]                # the signal did not stop training
    assert received == ([] if handler == "ignore" else [signal.SIGINT] * 3)   # one per epoch


def test_nan_checks_name_the_batch_with_bad_inputs():
    x = np.random.rand(32, 3).astype("float32")
    x[19, 1] = np.nan
    kerastorch.config.enable_nan_checks()
    try:
        with pytest.raises(ValueError, match=r"x of batch 2 \(epoch 1, step 3\) holds 1 NaN"):
            _model().fit(x, np.random.rand(32, 1), batch_size=8, shuffle=False, verbose=0)
    finally:
        kerastorch.config.enable_nan_checks(False)


def test_nan_checks_name_the_step_where_the_loss_diverges():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=1e6), loss="mse")
    kerastorch.config.enable_nan_checks()
    try:
        with pytest.raises(FloatingPointError, match=r"The loss became (nan|inf) at epoch 1, step \d+"):
            model.fit(np.full((64, 1), 10.0), np.full((64, 1), 1.0), batch_size=4, verbose=0)
    finally:
        kerastorch.config.enable_nan_checks(False)


def test_non_finite_loss_without_checks_warns_at_epoch_end():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=1e6), loss="mse")
    with pytest.warns(UserWarning, match="enable_nan_checks"):
        model.fit(np.full((64, 1), 10.0), np.full((64, 1), 1.0), batch_size=4, verbose=0)


def test_batch_size_larger_than_the_data_trains_one_batch():
    history = _model().fit(np.random.rand(10, 3), np.random.rand(10, 1), batch_size=64, verbose=0)
    assert history.params["steps"] == 1


def test_empty_data_is_refused():
    with pytest.raises(ValueError, match="x holds 0 samples"):
        _model().fit(np.zeros((0, 3)), np.zeros((0, 1)), verbose=0)


def test_input_on_another_device_than_the_model_is_explained():
    import torch

    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)]).to("meta")
    with pytest.raises(ValueError, match=r"the input is on cpu but the model's weights are on meta"):
        model(torch.zeros(2, 3))
