"""`audio_dataset_from_directory`: a folder of `.wav` files to a torch `DataLoader` of `(audio, labels)`.

WAV files are decoded with Python's `wave` module into float32 samples in [-1, 1), as
`tf.audio.decode_wav` does: `(samples, channels)` per file.
"""

import wave

import numpy as np
import torch

from kerastorch.utils import dataset_utils

_WHERE = "audio_dataset_from_directory"
_SCALE = {1: 128.0, 2: 32768.0, 3: 8388608.0, 4: 2147483648.0}


def decode_wav(path, desired_samples=-1):
    """Reads a PCM `.wav` file: float32 `(samples, channels)` in [-1, 1), and its sample rate.

    Args:
        path: The file.
        desired_samples: Number of samples to return, cut or padded with zeros; `-1` keeps
            them all. Defaults to `-1`.

    Returns:
        `(audio, sample_rate)`: a float32 numpy array and an int.

    Example:
    >>> import os, tempfile, wave
    >>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> with wave.open(path, "wb") as w:
    ...     w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    ...     w.writeframes((16384).to_bytes(2, "little", signed=True))
    >>> decode_wav(path)[0].tolist(), decode_wav(path)[1]
    ([[0.5]], 8000)
    """
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"{_WHERE}: could not decode {path!r} as a PCM WAV file ({e}). Convert it to 16-bit "
                         f"PCM WAV, or remove it.") from None
    if width == 1:     # 8-bit WAV is unsigned
        samples = np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        samples = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8).astype(np.float32)
    else:
        samples = np.frombuffer(raw, dtype={2: "<i2", 4: "<i4"}[width]).astype(np.float32)
    audio = (samples / np.float32(_SCALE[width])).reshape(-1, channels)
    if desired_samples is not None and desired_samples >= 0:
        audio = audio[:desired_samples]
        if len(audio) < desired_samples:
            audio = np.concatenate([audio, np.zeros((desired_samples - len(audio), channels), np.float32)])
    return audio, rate


class AudioFileDataset(torch.utils.data.Dataset):
    """Decodes `.wav` files on demand; a list of indices gives a batch padded with zeros to its longest.

    Args:
        file_paths: List of `.wav` paths.
        labels: Optional tensor of encoded labels, one row per file. Defaults to `None`.
        output_sequence_length: Optional samples per file (cut or zero-padded). Defaults to `None`.

    Example:
    >>> len(AudioFileDataset([]))
    0
    """

    def __init__(self, file_paths, labels=None, output_sequence_length=None):
        self.file_paths, self.labels = list(file_paths), labels
        self.output_sequence_length = output_sequence_length

    def __len__(self):
        return len(self.file_paths)

    def read(self, index):
        """The audio of file `index`: float32 tensor `(samples, channels)`."""
        length = -1 if self.output_sequence_length is None else self.output_sequence_length
        return torch.from_numpy(decode_wav(self.file_paths[index], length)[0])

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            clips = [self.read(i) for i in index]
            longest = max(len(c) for c in clips)
            audio = torch.stack([torch.nn.functional.pad(c, (0, 0, 0, longest - len(c))) for c in clips])
            return audio if self.labels is None else (audio, self.labels[list(index)])
        audio = self.read(index)
        return audio if self.labels is None else (audio, self.labels[index])


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """Makes a `DataLoader` of `(audio, labels)` batches from a folder of `.wav` files, as in Keras.

    With `labels="inferred"`, each subfolder of `directory` is a class. Each batch of audio is
    float32 `(batch, samples, channels)` in [-1, 1): files are cut or zero-padded to
    `output_sequence_length`, or else each batch is zero-padded to its longest file (Keras'
    `padded_batch`). Files are listed, shuffled and split exactly as Keras does; `fit` takes
    the loader as it is.

    Args:
        directory: Folder of `.wav` files (one subfolder per class with `labels="inferred"`).
        labels: `"inferred"`, `None` (audio only) or a list/tuple of integer labels, one per
            file in the sorted order of the paths. Defaults to `"inferred"`.
        label_mode: `"int"` (int32), `"categorical"` (float32 one-hot), `"binary"` (float32
            `(batch, 1)`) or `None`. Defaults to `"int"`.
        class_names: With `labels="inferred"`, the subfolders to use, in class-id order.
        batch_size: Files per batch, or `None` for single files. Defaults to `32`.
        sampling_rate: Resampling rate. Keras needs `tensorflow_io` for it; refused here
            (resample the files beforehand). Defaults to `None`.
        output_sequence_length: Optional samples per file (cut, or padded with zeros).
        ragged: Keras' ragged batches (TensorFlow only); refused. Defaults to `False`.
        shuffle: Whether to shuffle (once when listing, then every epoch). Defaults to `True`.
        seed: Optional integer seed of the shuffles and the split.
        validation_split: Optional fraction in (0, 1) held out for validation (the tail).
        subset: With `validation_split`: `"training"`, `"validation"` or `"both"` (a pair).
        follow_links: Whether to follow symbolic links to folders. Defaults to `False`.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        A `torch.utils.data.DataLoader` (a pair for `subset="both"`) with `class_names`.

    Note:
        Keras shuffles again every epoch within `8 * batch_size` files with TensorFlow's
        generator; here the same kind of shuffle is drawn with numpy, so shuffled batches hold
        other files than Keras'.

    Raises:
        NotImplementedError: `sampling_rate` or `ragged=True`.
        ValueError: a missing folder, no `.wav` files, or arguments that do not fit together.

    Example:
    >>> loader = audio_dataset_from_directory("speech/", output_sequence_length=16000)  # doctest: +SKIP
    >>> audio, labels = next(iter(loader))                                             # doctest: +SKIP
    >>> audio.shape                                                                    # doctest: +SKIP
    torch.Size([32, 16000, 1])
    """
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f"{_WHERE}: `labels` must be 'inferred', None or a list/tuple of integer labels (one "
                         f"per audio file), got labels={labels!r}.")
    dataset_utils.choice(_WHERE, "label_mode", label_mode, ["int", "categorical", "binary", None])
    dataset_utils.check_batch_size(_WHERE, batch_size)
    if ragged:
        if output_sequence_length is not None:
            raise ValueError(f"{_WHERE}: choose `ragged` or `output_sequence_length`, not both.")
        raise NotImplementedError(f"{_WHERE}: ragged=True builds TensorFlow ragged tensors, which torch has no "
                                  f"counterpart for. Leave ragged=False (batches are zero-padded to their longest "
                                  f"file) or pass output_sequence_length=.")
    if sampling_rate is not None:
        if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, int) or sampling_rate <= 0:
            raise ValueError(f"{_WHERE}: `sampling_rate` must be a positive integer, got {sampling_rate!r}.")
        raise NotImplementedError(f"{_WHERE}: sampling_rate= resamples with tensorflow_io in Keras, which kerastorch "
                                  f"does not use. Resample the files beforehand (e.g. with torchaudio or sox) and "
                                  f"leave sampling_rate=None.")
    if output_sequence_length is not None and (isinstance(output_sequence_length, bool) or
                                               not isinstance(output_sequence_length, int) or
                                               output_sequence_length < 1):
        raise ValueError(f"{_WHERE}: `output_sequence_length` must be a positive integer or None, got "
                         f"{output_sequence_length!r}.")
    if labels is None or label_mode is None:
        labels = label_mode = None
    dataset_utils.check_validation_split(_WHERE, validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, ids, class_names = dataset_utils.index_directory(
        _WHERE, directory, labels, (".wav",), class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{_WHERE}: label_mode='binary' needs exactly 2 classes, got class_names={class_names}.")
    num_classes = len(class_names) if class_names else 0
    buffer = 8 * batch_size if batch_size is not None else 1024

    def make(part_paths, part_ids, reshuffle, name):
        if not part_paths:
            raise ValueError(f"{_WHERE}: no {name}audio files (.wav) found in directory {directory!r}.")
        encoded = None if label_mode is None else dataset_utils.encode_labels(part_ids, label_mode, num_classes)
        dataset = AudioFileDataset(part_paths, encoded, output_sequence_length)
        sampler = (dataset_utils.ShuffleSampler(len(part_paths), buffer, seed) if reshuffle
                   else dataset_utils.ordered(len(part_paths)))
        loader = dataset_utils.batched_loader(dataset, batch_size, sampler)
        loader.class_names = class_names
        loader.file_paths = list(part_paths)
        return loader

    if subset == "both":
        train = dataset_utils.split_subset(paths, ids, validation_split, "training", verbose)
        val = dataset_utils.split_subset(paths, ids, validation_split, "validation", verbose)
        return make(*train, shuffle, "training "), make(*val, False, "validation ")
    part = dataset_utils.split_subset(paths, ids, validation_split, subset, verbose)
    return make(*part, shuffle, "")
