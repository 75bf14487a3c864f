"""The docstring examples of the utils, preprocessing and datasets modules run and give what they show,
and every public function or class there documents an Example."""

import doctest
import importlib
import inspect

import pytest

MODULES = ["kerastorch.utils.sequence_utils", "kerastorch.utils.file_utils", "kerastorch.utils.dataset_utils",
           "kerastorch.utils.timeseries_dataset", "kerastorch.utils.text_dataset", "kerastorch.utils.audio_dataset",
           "kerastorch.utils.image_utils", "kerastorch.utils.config_utils", "kerastorch.utils.data_utils",
           "kerastorch.utils.object_registration", "kerastorch.utils.legacy", "kerastorch.utils.bounding_boxes",
           "kerastorch.utils.feature_space", "kerastorch.utils.model_visualization", "kerastorch.datasets.imdb",
           "kerastorch.datasets.reuters", "kerastorch.datasets.boston_housing",
           "kerastorch.datasets.california_housing"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("KERASTORCH_OFFLINE", "1")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0


NAMESPACES = ["kerastorch.utils", "kerastorch.utils.legacy", "kerastorch.utils.bounding_boxes",
              "kerastorch.preprocessing", "kerastorch.preprocessing.image", "kerastorch.preprocessing.sequence",
              "kerastorch.datasets.imdb", "kerastorch.datasets.reuters", "kerastorch.datasets.boston_housing",
              "kerastorch.datasets.california_housing"]


@pytest.mark.parametrize("name", NAMESPACES)
def test_public_names_document_args_and_an_example(name):
    namespace = importlib.import_module(name)
    for attr in dir(namespace):
        obj = getattr(namespace, attr)
        if attr.startswith("_") or getattr(obj, "__module__", None) not in MODULES:
            continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        doc = inspect.getdoc(obj) or ""
        assert "Example" in doc, f"{name}.{attr} has no Example"
        params = [p for p in inspect.signature(obj).parameters if p not in ("self", "args", "kwargs")]
        if params and not (inspect.isclass(obj) and attr == "Config"):
            assert "Args:" in doc, f"{name}.{attr} documents no Args"
