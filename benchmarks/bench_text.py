"""A text pipeline end to end: `TextVectorization.adapt` on 100,000 sentences, then `fit`.

    python benchmarks/bench_text.py                            # 100,000 sentences, CPU
    python benchmarks/bench_text.py --sentences 20000 --epochs 2 --max-tokens 5000

Synthetic data (fixed `--seed`): sentences of 5-20 words drawn from a Zipf-like distribution over
`--words` distinct words, with a few capitalised words and punctuation so that the default
`lower_and_strip_punctuation` standardization has work to do. The label is 1 when the sentence
holds more "positive" words (one half of the vocabulary, by index parity) than "negative" ones.

Stages, each timed once with `time.perf_counter` (no warm-up: adapt and vectorize run once in
a real pipeline too):
1. `TextVectorization(max_tokens, output_sequence_length).adapt(sentences)`;
2. vectorizing every sentence with the adapted layer (string -> int64 ids, outside the model:
   torch has no string tensors, so text becomes ids in the input pipeline);
3. `fit` of `Embedding(max_tokens, 16) -> GlobalAveragePooling1D -> Dense(1, sigmoid)` with
   Adam and binary crossentropy, batch 32, `--epochs` epochs (the first includes warm-up).
It prints sentences/s for 1-2, samples/s for 3 (and for the same model trained by a plain torch
loop, as a reference), and the final training accuracy (a check that the pipeline learns, not a
speed figure).
"""

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402


def make_sentences(n, words, seed):
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(words)])
    ranks = np.arange(1, words + 1)
    p = 1.0 / ranks
    p /= p.sum()
    lengths = rng.integers(5, 21, n)
    ids = rng.choice(words, size=lengths.sum(), p=p)
    sentences, labels, pos = [], np.empty(n, "float32"), 0
    for i, k in enumerate(lengths):
        row = ids[pos:pos + k]
        pos += k
        tokens = vocab[row].tolist()
        if i % 3 == 0:
            tokens[0] = tokens[0].upper() + ","
        if i % 5 == 0:
            tokens[-1] += "!"
        sentences.append(" ".join(tokens))
        labels[i] = float((row % 2 == 0).sum() > (row % 2 == 1).sum())
    return sentences, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--max-tokens", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=24, help="output_sequence_length")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    import kerastorch as keras

    keras.utils.set_random_seed(args.seed)
    t0 = time.perf_counter()
    sentences, labels = make_sentences(args.sentences, args.words, args.seed)
    t_data = time.perf_counter() - t0

    vectorize = keras.layers.TextVectorization(max_tokens=args.max_tokens, output_sequence_length=args.length)
    t0 = time.perf_counter()
    vectorize.adapt(sentences)
    t_adapt = time.perf_counter() - t0

    t0 = time.perf_counter()
    ids = vectorize(sentences)
    t_vec = time.perf_counter() - t0

    model = keras.Sequential([keras.layers.Input(shape=(args.length,), dtype="int64"),
                              keras.layers.Embedding(args.max_tokens, 16),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    history = model.fit(ids, labels, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    t_fit = time.perf_counter() - t0

    # Reference: the same model as a plain torch loop (an expert's: fused Adam, resident tensors,
    # index batches, the loss read once per epoch), for the same number of epochs.
    emb = torch.nn.Embedding(args.max_tokens, 16)
    head = torch.nn.Linear(16, 1)
    opt = torch.optim.Adam([*emb.parameters(), *head.parameters()], lr=1e-3, eps=1e-7)
    y = torch.from_numpy(labels)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(ids))
        total = torch.zeros(())
        for i in range(0, len(ids), args.batch_size):
            idx = order[i:i + args.batch_size]
            logits = head(emb(ids[idx]).mean(dim=1))[:, 0]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        total.item()
    t_torch = time.perf_counter() - t0

    n = args.sentences
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {keras.config.device()!r}"
          if hasattr(keras.config, "device") else f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"data:       {n} sentences, {sum(len(s.split()) for s in sentences)} words, made in {t_data:.2f} s")
    print(f"adapt:      {t_adapt:.2f} s  ({n / t_adapt:,.0f} sentences/s), vocabulary {vectorize.vocabulary_size()}")
    print(f"vectorize:  {t_vec:.2f} s  ({n / t_vec:,.0f} sentences/s) -> ids {tuple(ids.shape)}")
    print(f"fit:        {t_fit:.2f} s for {args.epochs} epoch(s) ({n * args.epochs / t_fit:,.0f} samples/s, "
          f"batch {args.batch_size})")
    print(f"plain torch loop, same model: {t_torch:.2f} s ({n * args.epochs / t_torch:,.0f} samples/s)")
    print(f"end to end: {t_adapt + t_vec + t_fit:.2f} s; final training accuracy "
          f"{history.history['accuracy'][-1]:.3f}")


if __name__ == "__main__":
    main()
