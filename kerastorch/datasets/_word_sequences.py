"""The word-index processing Keras' `imdb` and `reuters` loaders share: shift, mark, cut, limit."""

from kerastorch.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def cached(fname, remote_name, file_hash):
    """The path of a dataset file in Keras' cache (`$KERAS_HOME/datasets`), fetched if absent."""
    return get_file(fname=fname, origin=ORIGIN + remote_name, file_hash=file_hash)


def mark_and_shift(sequences, start_char, index_from):
    """Adds `index_from` to every word id and puts `start_char` first (when not None)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in seq] for seq in sequences]
    return [[w + index_from for w in seq] for seq in sequences]


def drop_long(maxlen, sequences, labels):
    """Keeps the sequences strictly shorter than `maxlen` (Keras' rule), with their labels."""
    kept = [(seq, label) for seq, label in zip(sequences, labels) if len(seq) < maxlen]
    return [s for s, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Word ids outside `[skip_top, num_words)` become `oov_char`, or are dropped when it is None."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences)   # Keras' bound: the largest id itself is out
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]


def refuse_extra(where, kwargs):
    if kwargs:
        raise TypeError(f"{where}() got unexpected keyword arguments {sorted(kwargs)}. It takes path, num_words, "
                        f"skip_top, maxlen, seed, start_char, oov_char and index_from (Keras 2's `nb_words` is "
                        f"`num_words`).")
