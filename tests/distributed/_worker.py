"""One rank of the distributed tests, started (as torchrun would) by `launch()` in test_data_parallel.py.

Usage: python _worker.py SCENARIO OUT_DIR. Each rank writes `rank{R}.npz` (weights, predictions)
and rank 0 writes `histories.json`; the test process computes the expected values itself.
"""

import json
import os
import sys

import numpy as np
import torch

import kerastorch
from kerastorch import callbacks, distribution, layers

N, N_VAL, BATCH = 45, 11, 7   # 7 = 4 + 3 over two ranks; the last batch (3) = 2 + 1
PREDICT_SIZES = (10, 11, 1)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N + N_VAL, 4)).astype("float32")
    y_reg = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1).astype("float32")
    y_cls = ((x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 0.5)).astype("int64")
    return x[:N], y_reg[:N], y_cls[:N], x[N:], y_reg[N:], y_cls[N:]


def regression_model():
    return kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.Dense(1)])


def classifier():
    return kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(6, activation="tanh"),
                                  layers.Dense(3, activation="softmax")])


class EpochWeights(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


def flat(prefix, weights):
    return {f"{prefix}_{i}": w for i, w in enumerate(weights)}


def train(out):
    rank = int(os.environ["RANK"])
    x, y_reg, y_cls, xv, yv_reg, yv_cls = data()
    saved = {}

    # A: SGD, shuffle=False, uneven shards; each rank starts from DIFFERENT weights, which
    # DDP must replace with rank 0's.
    kerastorch.utils.set_random_seed(100 + rank)
    model = regression_model()
    saved.update(flat("a_init", model.get_weights()))
    kerastorch.utils.set_random_seed(7)
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    rec = EpochWeights()
    ckpt = callbacks.ModelCheckpoint(os.path.join(out, f"a_rank{rank}.weights.h5"), monitor="loss",
                                     save_weights_only=True)
    csv = callbacks.CSVLogger(os.path.join(out, f"a_rank{rank}.csv"))
    hist_a = model.fit(x, y_reg, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                       validation_data=(xv, yv_reg), callbacks=[rec, ckpt, csv])
    saved.update(flat("a_final", model.get_weights()))
    for e, w in enumerate(rec.weights):
        saved.update(flat(f"a_epoch{e}", w))

    # B: Adam, shuffle=True, softmax classifier with accuracy; then evaluate and predict.
    kerastorch.utils.set_random_seed(200 + rank)
    model = classifier()
    saved.update(flat("b_init", model.get_weights()))
    kerastorch.utils.set_random_seed(7)
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rec = EpochWeights()
    hist_b = model.fit(x, y_cls, batch_size=BATCH, epochs=2, shuffle=True, verbose=0,
                       validation_data=(xv, yv_cls), callbacks=[rec])
    saved.update(flat("b_final", model.get_weights()))
    for e, w in enumerate(rec.weights):
        saved.update(flat(f"b_epoch{e}", w))
    evaluated = model.evaluate(x, y_cls, batch_size=8, verbose=0, return_dict=True)
    saved["b_predict"] = model.predict(x, batch_size=8, verbose=0)
    # predict is sharded (contiguous parts) and all-gathered: n divisible by 2, not, and n < 2.
    for n in PREDICT_SIZES:
        saved[f"b_predict_n{n}"] = model.predict(x[:n], batch_size=4, verbose=0)
    saved["b_predict_tensor"] = model.predict(torch.from_numpy(x[:11]), batch_size=3, verbose=0)

    # C: a DataLoader (global batch 8 -> DistributedSampler, 4 per rank), SGD, shuffle=False.
    kerastorch.utils.set_random_seed(300 + rank)
    model = regression_model()
    saved.update(flat("c_init", model.get_weights()))
    kerastorch.utils.set_random_seed(7)
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.05), loss="mse")
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x[:40]),
                                                                        torch.from_numpy(y_reg[:40])),
                                         batch_size=8, shuffle=False)
    hist_c = model.fit(loader, epochs=1, verbose=0)
    saved.update(flat("c_final", model.get_weights()))

    np.savez(os.path.join(out, f"rank{rank}.npz"), **saved)
    with open(os.path.join(out, f"histories_rank{rank}.json"), "w") as f:
        json.dump({"a": hist_a.history, "b": hist_b.history, "c": hist_c.history, "evaluate": evaluated,
                   "device": str(distribution.active().device())}, f)


def die(out):
    """Rank 1 vanishes at its third batch; rank 0 must fail with a clear error, not hang."""
    rank = int(os.environ["RANK"])
    distribution.set_distribution(distribution.DataParallel(timeout_seconds=float(os.environ["KT_TIMEOUT"])))
    x, y_reg, *_ = data()
    kerastorch.utils.set_random_seed(7)
    model = regression_model()
    model.compile(optimizer="sgd", loss="mse")

    def maybe_die(batch, logs):
        if rank == 1 and batch == 2:
            os._exit(3)

    model.fit(np.tile(x, (20, 1)), np.tile(y_reg, (20, 1)), batch_size=8, epochs=100, verbose=0,
              callbacks=[callbacks.LambdaCallback(on_train_batch_end=maybe_die)])
    print("rank", rank, "finished training although rank 1 died", flush=True)


class LocalSizes(callbacks.Callback):
    """Records, per epoch, how many elements of each parameter and optimizer slot this rank stores."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def on_epoch_end(self, epoch, logs=None):
        from kerastorch.distribution import fsdp

        opt = self.model.optimizer
        self.sizes.append({"params": [fsdp.local_numel(p) for p in self.model.parameters()],
                           "slots": [fsdp.local_numel(v) for v in opt._slot_variables],
                           "sharded": all(fsdp.is_sharded(p) for p in self.model.parameters())})


def fsdp(out):
    """shard_parameters=True (FSDP2 on gloo): SGD without shuffle, then Adam with shuffle."""
    rank = int(os.environ["RANK"])
    distribution.set_distribution(distribution.DataParallel(shard_parameters=True, timeout_seconds=60))
    x, y_reg, y_cls, xv, yv_reg, yv_cls = data()
    saved, info = {}, {}

    kerastorch.utils.set_random_seed(100 + rank)   # different weights per rank: rank 0's must win
    model = regression_model()
    saved.update(flat("a_init", model.get_weights()))
    kerastorch.utils.set_random_seed(7)
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse",
                  metrics=["mae"])
    rec, sizes = EpochWeights(), LocalSizes()
    ckpt = callbacks.ModelCheckpoint(os.path.join(out, f"a_rank{rank}.weights.h5"), monitor="loss",
                                     save_weights_only=True)
    hist_a = model.fit(x, y_reg, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                       validation_data=(xv, yv_reg), callbacks=[rec, sizes, ckpt])
    saved.update(flat("a_final", model.get_weights()))
    for e, w in enumerate(rec.weights):
        saved.update(flat(f"a_epoch{e}", w))
    info["a_sizes"] = sizes.sizes
    info["a_class"] = [type(m).__name__ for m in [model, *model.layers]]
    saved["a_predict"] = model.predict(x[:11], batch_size=4, verbose=0)

    kerastorch.utils.set_random_seed(200 + rank)
    model = classifier()
    saved.update(flat("b_init", model.get_weights()))
    kerastorch.utils.set_random_seed(7)
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    sizes = LocalSizes()
    hist_b = model.fit(x, y_cls, batch_size=BATCH, epochs=2, shuffle=True, verbose=0, callbacks=[sizes])
    saved.update(flat("b_final", model.get_weights()))
    info["b_sizes"] = sizes.sizes
    info["evaluate"] = model.evaluate(x, y_cls, batch_size=8, verbose=0, return_dict=True)
    # Every rank saves (a collective when the gathered copy is stale), then loads it back.
    model.train_on_batch(x[:4], y_cls[:4])   # makes the gathered copy stale
    saved.update(flat("b_after_step", model.get_weights()))
    path = os.path.join(out, f"b_rank{rank}.weights.h5")
    model.save_weights(path)
    before = model.get_weights()
    model.set_weights([w * 0 for w in before])
    saved.update(flat("b_zeroed", model.get_weights()))
    model.load_weights(path)
    saved.update(flat("b_reloaded", model.get_weights()))

    np.savez(os.path.join(out, f"fsdp_rank{rank}.npz"), **saved)
    with open(os.path.join(out, f"fsdp_rank{rank}.json"), "w") as f:
        json.dump({"a": hist_a.history, "b": hist_b.history, **info}, f)


if __name__ == "__main__":
    scenario, out_dir = sys.argv[1], sys.argv[2]
    {"train": train, "die": die, "fsdp": fsdp}[scenario](out_dir)
