import types
import warnings

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers


def _model():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _drive(stopper, values, model=None, monitor="val_loss"):
    """Runs the hooks as fit() would, stopping when the callback asks. Returns the epochs run."""
    model = model or _model()
    stopper.set_model(model)
    model.stop_training = False
    stopper.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        stopper.on_epoch_end(epoch, {monitor: value})
        ran += 1
        if model.stop_training:
            break
    stopper.on_train_end()
    return ran


def test_early_stopping_waits_for_patience():
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    # best at epoch 1 (0.8); 0.9 and 0.85 are no better: the 2nd miss (epoch 3) stops
    assert _drive(stopper, [1.0, 0.8, 0.9, 0.85, 0.1]) == 4
    assert stopper.stopped_epoch == 3 and stopper.best == 0.8 and stopper.best_epoch == 1


def test_patience_zero_stops_at_first_non_improvement():
    stopper = callbacks.EarlyStopping()
    assert _drive(stopper, [3.0, 2.0, 2.0, 1.0]) == 3
    assert stopper.stopped_epoch == 2


def test_min_delta_counts_small_gains_as_no_improvement():
    stopper = callbacks.EarlyStopping(patience=1, min_delta=0.1)
    # 1.0 -> 0.95 is a gain of 0.05 < 0.1: a miss at epoch 1; 0.85 beats best 1.0 by 0.15: reset;
    # 0.8 (gain 0.05) misses at 3 -> wait 1 >= patience 1 -> stop at 3
    assert _drive(stopper, [1.0, 0.95, 0.85, 0.8, 0.1]) == 2
    assert stopper.stopped_epoch == 1
    stopper = callbacks.EarlyStopping(patience=2, min_delta=0.1)
    assert _drive(stopper, [1.0, 0.95, 0.85, 0.8, 0.78, 0.1]) == 5
    assert stopper.stopped_epoch == 4 and stopper.best == 0.85


def test_mode_max_follows_increases():
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=1)
    assert _drive(stopper, [0.5, 0.6, 0.6, 0.7], monitor="val_accuracy") == 3
    assert stopper.stopped_epoch == 2 and stopper.best == 0.6


def test_auto_mode_treats_accuracy_as_higher_is_better():
    stopper = callbacks.EarlyStopping(monitor="accuracy", patience=0)
    assert _drive(stopper, [0.5, 0.7, 0.6], monitor="accuracy") == 3
    assert stopper.best == 0.7


def test_auto_mode_refuses_unknown_direction():
    stopper = callbacks.EarlyStopping(monitor="my_score")
    with pytest.raises(ValueError, match="mode='max'"):
        _drive(stopper, [1.0], monitor="my_score")


def test_baseline_stops_when_never_beaten():
    values = [0.9, 0.8, 0.85, 0.9, 0.95]
    stopper = callbacks.EarlyStopping(patience=2, baseline=0.5)
    # nothing beats 0.5, so the wait counts from epoch 0 (wait 1, 2, 3): the miss at epoch 2 stops
    assert _drive(stopper, values) == 3
    assert stopper.stopped_epoch == 2 and stopper.best == 0.8
    # without a baseline the improvement at epoch 1 resets the wait: misses at 2 and 3 stop at 3
    stopper = callbacks.EarlyStopping(patience=2)
    assert _drive(stopper, values) == 4 and stopper.stopped_epoch == 3


def test_baseline_beaten_resets_wait():
    stopper = callbacks.EarlyStopping(patience=2, baseline=0.5)
    assert _drive(stopper, [0.9, 0.4, 0.45, 0.45, 0.45]) == 4
    assert stopper.stopped_epoch == 3


def test_start_from_epoch_ignores_warmup():
    stopper = callbacks.EarlyStopping(patience=0, start_from_epoch=3)
    # epochs 0-2 are not monitored even though they get worse
    assert _drive(stopper, [1.0, 2.0, 3.0, 4.0, 3.5, 3.6]) == 6
    assert stopper.stopped_epoch == 5 and stopper.best == 3.5


def test_missing_monitor_warns_with_available_keys():
    model = _model()
    stopper = callbacks.EarlyStopping(monitor="val_loss")
    stopper.set_model(model)
    stopper.on_train_begin()
    with pytest.warns(UserWarning, match=r"val_loss.*Available keys: loss, accuracy"):
        stopper.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    assert not model.stop_training


def test_reusable_across_fit_calls():
    stopper = callbacks.EarlyStopping(patience=0)
    _drive(stopper, [1.0, 2.0])
    assert stopper.stopped_epoch == 1
    assert _drive(stopper, [5.0, 4.0, 3.0]) == 3
    assert stopper.stopped_epoch == 0 and stopper.best == 3.0


class _ScriptedValLoss(kerastorch.callbacks.Callback):
    """Overwrites val_loss with scripted values and records the weights at each epoch end."""

    def __init__(self, values):
        super().__init__()
        self.values = values
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append([w.copy() for w in self.model.get_weights()])


def test_restore_best_weights_in_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.05), loss="mse")
    script = _ScriptedValLoss([1.0, 0.5, 0.7, 0.6, 0.9, 0.1, 0.1])
    stopper = callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    history = model.fit(x, y, epochs=7, batch_size=4, shuffle=False, verbose=0,
                        callbacks=[script, stopper])
    assert history.epoch == [0, 1, 2, 3, 4]  # best at 1, misses at 2, 3, 4 -> stop at 4
    assert stopper.best_epoch == 1
    last = script.weights[-1]
    assert not np.allclose(last[0], script.weights[1][0])  # training moved on after epoch 1
    for got, want in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(got, want)


def test_without_restore_keeps_last_weights():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    script = _ScriptedValLoss([1.0, 2.0, 3.0])
    model.fit(np.ones((4, 1)), np.full((4, 1), 3.0), epochs=3, verbose=0,
              callbacks=[script, callbacks.EarlyStopping(patience=1)])
    for got, want in zip(model.get_weights(), script.weights[-1]):
        np.testing.assert_array_equal(got, want)


SCENARIOS = [
    (dict(patience=2), "val_loss", [1.0, 0.8, 0.9, 0.85, 0.7]),
    (dict(patience=1, min_delta=0.1), "val_loss", [1.0, 0.95, 0.85, 0.8, 0.5, 0.45]),
    (dict(patience=2, baseline=0.5), "val_loss", [0.9, 0.8, 0.7, 0.6]),
    (dict(patience=2, baseline=0.5), "val_loss", [0.9, 0.8, 0.85, 0.9, 0.95]),
    (dict(patience=2, baseline=0.5), "val_loss", [0.9, 0.4, 0.45, 0.3, 0.35, 0.36]),
    (dict(patience=0, start_from_epoch=2), "val_loss", [1.0, 2.0, 3.0, 2.5, 2.6]),
    (dict(patience=1, mode="max"), "val_accuracy", [0.5, 0.6, 0.6, 0.55, 0.9]),
    (dict(patience=3, min_delta=-0.05), "loss", [1.0, 1.02, 1.1, 1.2, 1.3, 1.4]),
]


@pytest.mark.keras
@pytest.mark.parametrize("kwargs,monitor,values", SCENARIOS)
def test_matches_real_keras_on_scripted_sequences(keras, kwargs, monitor, values):
    fake = types.SimpleNamespace(stop_training=False)
    theirs = keras.callbacks.EarlyStopping(monitor=monitor, **kwargs)
    theirs.set_model(fake)
    theirs.on_train_begin()
    ran_theirs = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch, value in enumerate(values):
            theirs.on_epoch_end(epoch, {monitor: value})
            ran_theirs += 1
            if fake.stop_training:
                break
    ours = callbacks.EarlyStopping(monitor=monitor, **kwargs)
    ran_ours = _drive(ours, values, monitor=monitor)
    assert ran_ours == ran_theirs
    assert ours.stopped_epoch == theirs.stopped_epoch
    assert ours.best == pytest.approx(float(theirs.best))
    assert ours.best_epoch == theirs.best_epoch
    assert ours.wait == theirs.wait
