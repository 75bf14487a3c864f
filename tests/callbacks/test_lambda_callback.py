import numpy as np

import kerastorch
from kerastorch import callbacks, layers


def _model():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_every_fit_hook_fires_in_order():
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
    )
    _model().fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, epochs=2, verbose=0,
                 validation_data=(np.ones((2, 1)), np.ones((2, 1))), callbacks=[cb])
    epoch = lambda e: [f"epoch_begin {e}", "batch_begin 0", "batch_end 0 ['loss']", "batch_begin 1",
                       "batch_end 1 ['loss']", f"epoch_end {e} ['loss', 'val_loss']"]
    assert events == ["train_begin", *epoch(0), *epoch(1), "train_end"]


def test_test_and_predict_hooks_by_keyword():
    events = []
    cb = callbacks.LambdaCallback(
        on_test_begin=lambda logs: events.append("test_begin"),
        on_test_batch_end=lambda batch, logs: events.append(f"test_batch_end {batch}"),
        on_test_end=lambda logs: events.append(f"test_end {sorted(logs)}"),
        on_predict_begin=lambda logs: events.append("predict_begin"),
        on_predict_batch_end=lambda batch, logs: events.append(f"predict_batch_end {batch}"),
        on_predict_end=lambda logs: events.append("predict_end"),
    )
    model = _model()
    model.evaluate(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, verbose=0, callbacks=[cb])
    model.predict(np.ones((2, 1)), batch_size=2, verbose=0, callbacks=[cb])
    assert events == ["test_begin", "test_batch_end 0", "test_batch_end 1", "test_end ['loss']",
                      "predict_begin", "predict_batch_end 0", "predict_end"]


def test_epoch_only_callback_is_not_a_batch_listener():
    from kerastorch.callbacks.callback import CallbackList

    epoch_only = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    batchy = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)
    cbs = CallbackList([epoch_only, batchy])
    assert cbs.batch_listeners("train", "batch_end") == [batchy]
    assert isinstance(epoch_only, callbacks.LambdaCallback) and isinstance(batchy, callbacks.LambdaCallback)


def test_extra_kwargs_become_attributes():
    cb = callbacks.LambdaCallback(note="hello")
    assert cb.note == "hello"
