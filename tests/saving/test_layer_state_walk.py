"""Layer state beyond weights (a lookup layer's vocabulary) found where Keras' saving walk finds it.

Keras reaches every layer of a model once, by attribute (sorted), and a layer in a list by its
class key (`lookups/integer_lookup_1`); its `save_own_variables` and `save_assets` go there, at the
paths of the weights file. A lookup layer held in a list attribute of a custom layer keeps its
adapted vocabulary through a `.keras` file. (Keras' lookup layers need TensorFlow, absent here:
the file is checked against Keras' layout rule, the weights file's paths, not against a Keras run.)
"""

import functools

import numpy as np
import kerastorch

_WORDS = np.array([[1], [2], [3], [1], [4], [2]])


@functools.lru_cache(maxsize=None)
def _lookups_class(lib):
    @lib.saving.register_keras_serializable(package="KtLayerStateWalk")
    class TwoLookups(lib.layers.Layer):     # its lookups in a list: saved as lookups/integer_lookup[_1]
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.lookups = [lib.layers.IntegerLookup(), lib.layers.IntegerLookup(output_mode="one_hot")]

        def build(self, input_shape):      # nothing to build: no trace of the call on float zeros
            pass

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 1 + self.lookups[1].vocabulary_size())

        def call(self, x):
            x = lib.ops.cast(x, "int32")       # the layer's float32 compute dtype casts its input
            return lib.ops.concatenate([lib.ops.cast(self.lookups[0](x), "float32"),
                                        lib.ops.cast(self.lookups[1](x), "float32")], axis=-1)

    return TwoLookups


def _model(lib):
    lib.utils.clear_session()
    layer = _lookups_class(lib)(name="two")
    layer.lookups[0].adapt(_WORDS)
    layer.lookups[1].adapt(_WORDS[:3])
    return lib.Sequential([layer], name="s")


def _out(model, x):
    out = model(x)
    return out.detach().cpu().numpy() if hasattr(out, "detach") else np.asarray(out)


def test_lookups_in_a_list_keep_their_vocabulary(tmp_path):
    import zipfile

    x = np.array([[1], [3], [4], [9]])
    model = _model(kerastorch)
    expected = _out(model, x)
    model.save(tmp_path / "m.keras")
    kerastorch.utils.clear_session()
    loaded = kerastorch.models.load_model(tmp_path / "m.keras",
                                          custom_objects={"TwoLookups": _lookups_class(kerastorch)})
    np.testing.assert_array_equal(_out(loaded, x), expected)
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        folders = sorted({m.rsplit("/", 1)[0] for m in zf.namelist() if m.startswith("assets/")})
    assert folders == ["assets/layers/two_lookups/lookups/integer_lookup",
                       "assets/layers/two_lookups/lookups/integer_lookup_1"]
