"""Layer state beyond weights, where Keras keeps it in a `.keras` file.

Keras walks the model and, for each layer at `inner_path` (`layers/string_lookup`, and a
sublayer at `layers/text_vectorization/_lookup_layer`), calls `save_own_variables(store)`
with the h5 group `<inner_path>/vars` (datasets by name, e.g. `idf_weights`) and
`save_assets(dir)` with the folder `assets/<inner_path>` of the archive (e.g.
`vocabulary.txt`). Loading calls `load_own_variables` / `load_assets` the same way. Only
layers that define these methods take part (the lookup layers); others keep `vars/0, 1, ...`.
"""

import os
import tempfile

import numpy as np


def _walk(model):
    """`(path, layer)` for each layer of `model` where Keras' saving walk reaches it: the paths of
    the weights file (`layers/<key>`, sublayers by attribute, layers in lists by class key), each
    layer once, where it is first reached (a shared layer's state is kept once, as in Keras)."""
    from kerastorch.saving.weights_h5 import weights_tree

    tree, owners = weights_tree(model)
    for path, slots in tree:
        layer = owners.get(id(slots))
        if layer is not None and (path == "vars" or path.endswith("/vars")):
            yield path[:-len("/vars")] if path != "vars" else "", layer


def _stateful(model, method):
    return [(path, layer) for path, layer in _walk(model) if path and hasattr(layer, method)]


def write_variables(h5, model):
    """Writes each `save_own_variables` store into `<path>/vars` of the open weights file."""
    for path, layer in _stateful(model, "save_own_variables"):
        store = {}
        layer.save_own_variables(store)
        group = h5.require_group(f"{path}/vars")
        for name, value in store.items():
            group.create_dataset(name, data=np.asarray(value))


def read_variables(h5, model, filename):
    """Hands each layer with `load_own_variables` its `<path>/vars` group, as a dict of arrays."""
    for path, layer in _stateful(model, "load_own_variables"):
        group = h5.get(f"{path}/vars")
        store = {name: np.asarray(group[name]) for name in group.keys()} if group is not None else {}
        try:
            layer.load_own_variables(store)
        except KeyError as e:
            raise ValueError(f"{filename}: group '{path}/vars' lacks {e} that layer '{layer.name}' "
                             f"({type(layer).__name__}) saves; found {sorted(store)}.") from None


def asset_members(model):
    """The `assets/...` members of the archive (name -> bytes) from each layer's `save_assets`."""
    members = {}
    for path, layer in _stateful(model, "save_assets"):
        with tempfile.TemporaryDirectory() as tmp:
            layer.save_assets(tmp)
            for name in sorted(os.listdir(tmp)):
                with open(os.path.join(tmp, name), "rb") as f:
                    members[f"assets/{path}/{name}"] = f.read()
    return members


def load_assets(model, members, filename):
    """Calls each layer's `load_assets` with a folder holding its `assets/<path>/` files."""
    for path, layer in _stateful(model, "load_assets"):
        prefix = f"assets/{path}/"
        files = {m[len(prefix):]: data for m, data in members.items()
                 if m.startswith(prefix) and "/" not in m[len(prefix):]}
        with tempfile.TemporaryDirectory() as tmp:
            for name, data in files.items():
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(data)
            try:
                layer.load_assets(tmp)
            except FileNotFoundError:
                raise ValueError(f"{filename}: layer '{layer.name}' ({type(layer).__name__}) keeps its state "
                                 f"in {prefix}, which the archive lacks (found {sorted(files) or 'nothing'}). "
                                 "Save the model again with model.save().") from None


def read_asset_members(filepath):
    """The `assets/...` members of a `.keras` zip or of a folder written with zipped=False."""
    import zipfile

    name = os.fspath(filepath)
    if os.path.isdir(name):
        out = {}
        root = os.path.join(name, "assets")
        for folder, _, files in os.walk(root):
            for f in files:
                full = os.path.join(folder, f)
                rel = os.path.relpath(full, name).replace(os.sep, "/")
                with open(full, "rb") as fh:
                    out[rel] = fh.read()
        return out
    with zipfile.ZipFile(name) as zf:
        return {m: zf.read(m) for m in zf.namelist() if m.startswith("assets/") and not m.endswith("/")}
