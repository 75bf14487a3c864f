"""Data-parallel training: the same Keras script on 1 process, or on N under torchrun.

Nothing in the model code changes. Under torchrun, kerastorch detects the processes, puts
each on its device (cuda:LOCAL_RANK, or the CPU with gloo), splits every global batch of
`batch_size` samples over them, averages the gradients, and reports logs computed over all
samples. Only rank 0 prints and writes the checkpoint.

Run:
    python examples/distributed_training.py                       # one process
    torchrun --nproc_per_node=2 examples/distributed_training.py   # two processes (CPU: gloo)
    torchrun --nproc_per_node=8 examples/distributed_training.py  # 8 GPUs of one machine (NCCL)
"""

import argparse
import os
import tempfile

import kerastorch as keras
from kerastorch import callbacks, distribution, layers
from kerastorch.datasets import digits


def main(epochs=20, batch_size=64, verbose=2, checkpoint_dir=None):
    # The same seed on every rank: the same initial weights and the same shuffles (each rank
    # takes its part of each global batch of the shared order).
    keras.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0

    model = keras.Sequential([
        layers.Input(shape=(64,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    checkpoint_dir = checkpoint_dir or tempfile.mkdtemp()
    checkpoint = callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, "digits.weights.h5"),
                                           monitor="val_accuracy", save_best_only=True, save_weights_only=True)
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=5)   # decides the same on every rank
    # batch_size is the GLOBAL batch: with 2 processes, each computes on 32 samples per step.
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              callbacks=[checkpoint, stop], verbose=verbose)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)   # over all ranks' shares
    if distribution.is_chief():
        dist = distribution.active()
        where = "1 process" if dist is None else f"{dist.world_size} processes on {dist.device().type}"
        print(f"Trained on {where}. Test accuracy: {accuracy:.3f} (loss {loss:.3f}); "
              f"best weights in {checkpoint.filepath}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch size")
    parser.add_argument("--quick", action="store_true", help="2 epochs, silent (for tests)")
    args = parser.parse_args()
    main(epochs=2 if args.quick else args.epochs, batch_size=args.batch_size, verbose=0 if args.quick else 2)
