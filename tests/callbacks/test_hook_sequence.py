"""The callback hooks fit/evaluate/predict call, in order, with their logs, equal to real Keras'."""

import numpy as np
import pytest

import kerastorch

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


def _recorder(lib, calls, hooks=HOOKS):
    """A callback class recording (hook, index, sorted logs keys, how logs was passed)."""

    def make(hook):
        def record(self, *args, **kwargs):
            if "logs" in kwargs:
                logs, how = kwargs["logs"], "keyword"
            elif args and not isinstance(args[-1], int):
                logs, how, args = args[-1], "positional", args[:-1]
            else:
                logs, how = "missing", "missing"
            keys = sorted(logs) if isinstance(logs, dict) else repr(logs)
            calls.append((hook, args[0] if args else None, keys, how))
        return record

    return type("Recorder", (lib.callbacks.Callback,), {h: make(h) for h in hooks})


def _script(lib, hooks=HOOKS, validation=True):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3)).astype("float32")
    y = rng.standard_normal((10, 1)).astype("float32")
    model = lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    calls = []
    recorder = _recorder(lib, calls, hooks)
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y) if validation else None,
              callbacks=[recorder()], verbose=0)
    model.evaluate(x, y, batch_size=5, callbacks=[recorder()], verbose=0)
    model.predict(x, batch_size=5, callbacks=[recorder()], verbose=0)
    return calls


@pytest.mark.parametrize("hooks", [HOOKS, ("on_test_batch_begin", "on_predict_batch_begin"),
                                   ("on_epoch_begin", "on_train_begin", "on_predict_end"),
                                   ("on_train_batch_begin", "on_test_begin")],
                         ids=["all", "begin_batches", "begin_epochs", "mixed"])
def test_hook_sequence_and_logs_equal_keras(keras, hooks):
    want = _script(keras, hooks)
    got = _script(kerastorch, hooks)
    assert got == want
    if hooks == HOOKS:
        assert len(want) == 46   # 2 epochs x 3 batches + validation, evaluate 2 batches, predict 2


def test_keras_io_guide_callback_reading_logs_keys_runs(keras):
    # keras-io "Writing your own callbacks" calls logs.keys() in every hook.
    def guide(lib, seen):
        class Guide(lib.callbacks.Callback):
            def on_train_begin(self, logs=None):
                seen.append(("train_begin", list(logs.keys())))

            def on_epoch_begin(self, epoch, logs=None):
                seen.append(("epoch_begin", list(logs.keys())))

            def on_train_batch_begin(self, batch, logs=None):
                seen.append(("batch_begin", list(logs.keys())))

            def on_test_begin(self, logs=None):
                seen.append(("test_begin", list(logs.keys())))

            def on_predict_begin(self, logs=None):
                seen.append(("predict_begin", list(logs.keys())))

            def on_predict_end(self, logs=None):
                seen.append(("predict_end", list(logs.keys())))
        return Guide()

    results = []
    for lib in (keras, kerastorch):
        seen = []
        model = lib.Sequential([lib.layers.Input((2,)), lib.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        model.fit(x, y, batch_size=2, epochs=1, callbacks=[guide(lib, seen)], verbose=0)
        model.evaluate(x, y, callbacks=[guide(lib, seen)], verbose=0)
        model.predict(x, callbacks=[guide(lib, seen)], verbose=0)
        results.append(seen)
    assert results[1] == results[0]


def test_no_batch_dispatch_when_no_callback_listens():
    # The fast path: History and an epoch-only callback add no per-batch hook calls.
    class EpochOnly(kerastorch.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            pass

    cbs = kerastorch.callbacks.CallbackList([EpochOnly()], add_history=True, add_progbar=True, verbose=0)
    for mode in ("train", "test", "predict"):
        for hook in ("batch_begin", "batch_end"):
            assert cbs.batch_listeners(mode, hook) == []
