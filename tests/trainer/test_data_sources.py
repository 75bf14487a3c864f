"""fit/evaluate/predict take arrays, tensors, DataLoaders, Datasets, generators and PyDatasets."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


def _model():
    kerastorch.utils.set_random_seed(3)
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                   layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _data(n=40):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True) ** 2


class _Batches(kerastorch.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


def _generator(x, y, batch_size, epochs):
    for _ in range(epochs):
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]


@pytest.mark.parametrize("source", ["tensor", "dataloader", "dataset", "generator", "pydataset",
                                    "pydataset_threads"])
def test_every_source_gives_the_same_training_as_numpy(source):
    x, y = _data()
    reference = _model()
    reference.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    model = _model()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    if source == "tensor":
        model.fit(tx, ty, batch_size=8, epochs=3, shuffle=False, verbose=0)
    elif source == "dataloader":
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(tx, ty), batch_size=8)
        model.fit(loader, epochs=3, verbose=0)
    elif source == "dataset":
        model.fit(torch.utils.data.TensorDataset(tx, ty), batch_size=8, epochs=3, shuffle=False, verbose=0)
    elif source == "generator":
        model.fit(_generator(x, y, 8, 3), steps_per_epoch=5, epochs=3, verbose=0)
    elif source == "pydataset":
        model.fit(_Batches(x, y, 8), epochs=3, shuffle=False, verbose=0)
    else:
        model.fit(_Batches(x, y, 8, workers=3), epochs=3, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_evaluate_and_predict_take_loaders_and_generators():
    x, y = _data()
    model = _model()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x),
                                                                        torch.from_numpy(y)), batch_size=16)
    assert model.evaluate(loader, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    preds = model.predict(_generator(x, y, 16, 1), verbose=0)
    np.testing.assert_allclose(preds, model.predict(x, verbose=0), rtol=1e-6)


def test_validation_data_as_a_loader():
    x, y = _data()
    model = _model()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x),
                                                                        torch.from_numpy(y)), batch_size=16)
    history = model.fit(x, y, validation_data=loader, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x, y, verbose=0)[0], rel=1e-5)


def test_validation_split_on_a_generator_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="validation_split.*only supported when x is an array"):
        _model().fit(_generator(x, y, 8, 1), validation_split=0.2, verbose=0)


def test_y_next_to_a_loader_is_refused():
    x, y = _data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x)), batch_size=8)
    with pytest.raises(ValueError, match="`y` cannot be passed separately"):
        _model().fit(loader, y, verbose=0)


def test_exhausted_generator_stops_with_a_warning():
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(_generator(x, y, 8, 1), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_unbuilt_model_builds_from_the_first_batch_of_a_loader():
    x, y = _data()
    model = kerastorch.Sequential([layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x),
                                                                        torch.from_numpy(y)), batch_size=8)
    history = model.fit(loader, epochs=1, verbose=0)
    assert model.built and model.layers[0].get_weights()[0].shape == (4, 3)
    assert history.params["steps"] == 5


def test_shuffled_arrays_train_the_same_whether_permuted_per_epoch_or_gathered_per_batch(monkeypatch):
    """Small data is permuted once per epoch and cut in slices, larger data gathered batch by batch
    (array_adapter._PERMUTE_PER_EPOCH_BYTES): the same order, so the same training."""
    from kerastorch.trainer.data_adapters import array_adapter

    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(40, 3)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    results = []
    for limit in (0, 2 ** 40):                    # every array gathered per batch / permuted per epoch
        monkeypatch.setattr(array_adapter, "_PERMUTE_PER_EPOCH_BYTES", limit)
        kerastorch.utils.set_random_seed(7)
        model = kerastorch.Sequential([kerastorch.layers.Input((3,)), kerastorch.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, y, batch_size=6, epochs=3, shuffle=True, verbose=0).history["loss"]
        results.append((history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)
