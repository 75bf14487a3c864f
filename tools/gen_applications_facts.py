"""Writes tests/applications/keras_facts.json from real Keras (run by hand when Keras changes).

    KERAS_BACKEND=torch python tools/gen_applications_facts.py

For each configuration in tests/applications/helpers.py SPECS it records what real Keras
builds: each layer's class, name and weight shapes (Keras' order), the parameter count and the
output shape (auto-names start from a cleared session, as the tests' do). For PREDICTION_SPECS
it also records Keras' outputs with `deterministic_weights` on a fixed input. The tests compare
kerastorch's models with these facts without building the biggest Keras models on every run.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "tests", "applications"))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import helpers  # noqa: E402


def main():
    facts = {"keras_version": keras.__version__, "models": {}}
    for fn, _module, kwargs in helpers.SPECS:
        keras.backend.clear_session()
        model = getattr(keras.applications, fn)(weights=None, **kwargs)
        entry = {
            "layers": [[type(layer).__name__, layer.name, [list(w.shape) for w in layer.weights]]
                       for layer in model.layers],
            "weight_paths": [w.path for w in model.weights],
            "count_params": int(model.count_params()),
            "output_shape": list(model.output_shape),
        }
        if (fn, _module, kwargs) in helpers.PREDICTION_SPECS:
            model.set_weights(helpers.deterministic_weights(model))
            x = helpers.prediction_input(kwargs["input_shape"])
            entry["prediction"] = np.asarray(model.predict(x, verbose=0)).tolist()
        facts["models"][helpers.spec_id(fn, kwargs)] = entry
        print(helpers.spec_id(fn, kwargs), entry["count_params"], flush=True)
    with open(helpers.FACTS, "w") as f:
        json.dump(facts, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
