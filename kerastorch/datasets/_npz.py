"""Reading Keras' dataset `.npz` files, whose ragged sequences are numpy object arrays (pickles).

`np.load(allow_pickle=True)` would run whatever a tampered file's pickle asks for. Here an
object array is unpickled with only the three globals numpy needs to rebuild an array.
"""

import io
import pickle
import zipfile

import numpy as np

_ARRAY_GLOBALS = {("numpy", "ndarray"), ("numpy", "dtype"),
                  ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load {module}.{name} from a dataset file: only numpy arrays "
                                     f"are expected. The file may be corrupted or malicious; delete it.")


def _read_member(buffer):
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:   # an object array: skip the .npy header, then unpickle restrictedly
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(buffer)   # 3.0 differs only in the header's text encoding
        else:
            raise ValueError(f"Unsupported .npy format version {major}.") from None
        return _ArrayOnlyUnpickler(buffer).load()


def load_npz(path):
    """A dict of the arrays in an `.npz` file, object arrays included, without arbitrary unpickling."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[:-4]] = _read_member(io.BytesIO(raw.read()))
    return arrays
