"""Arguments are implemented as Keras implements them or refused as Keras refuses them, never
accepted and ignored: recurrent layers' switches, and Keras options a loaded file asks for."""

import json
import zipfile

import numpy as np
import pytest

import kerastorch


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("kwargs", [dict(time_major=True), dict(use_cudnn="sometimes"), dict(implementation=2),
                                    dict(use_cudnn=False), dict(unroll=True)])
def test_recurrent_switches_are_accepted_or_refused_as_keras(keras, name, kwargs):
    # (Keras' SimpleRNN takes neither use_cudnn nor implementation: both libraries refuse them.)
    outcomes = []
    for lib in (keras, kerastorch):
        try:
            layer = getattr(lib.layers, name)(2, **kwargs)
            out = layer(np.ones((1, 3, 2), "float32"))
            outcomes.append(tuple(np.asarray(keras.ops.convert_to_numpy(out)).shape))
        except (ValueError, TypeError):
            outcomes.append("refused")
    assert outcomes[1] == outcomes[0]


def test_unrolled_outputs_equal_keras(keras):
    ours = kerastorch.layers.LSTM(3, unroll=True, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(2, 4, 2)).astype("float32")
    ours(x)
    theirs = keras.layers.LSTM(3, unroll=True, return_sequences=True)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours(x).detach().numpy(), keras.ops.convert_to_numpy(theirs(x)), atol=1e-5)


def test_a_file_asking_for_an_unimplemented_keras_option_is_refused(tmp_path):
    model = kerastorch.Sequential([kerastorch.layers.Input((3,)), kerastorch.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["remat"] = True       # Keras' rematerialization switch
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "edited.keras", "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ValueError, match=r"uses the Keras option remat=True.*does not implement"):
        kerastorch.models.load_model(tmp_path / "edited.keras")
