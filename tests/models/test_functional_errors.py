"""Mistakes made while defining or calling a Functional model, and the messages that say what to do.

Generated over tables: torch functions, torch.nn modules, tensor methods and NumPy ufuncs
given a symbolic tensor (each message names the function or module and what to use instead:
a `kerastorch.ops` function, a layer, `TorchModuleWrapper` or a `Lambda`); dicts of inputs with
missing or unknown keys (the message lists the model's inputs); graphs whose outputs need an
Input that was not given, or with Inputs that reach no output (both named). The operator
forms that keep working (`array + x`) are checked against NumPy's results.
"""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kerastorch
from kerastorch import layers


def _x():
    return kerastorch.Input(shape=(4,), name="features")


# --------------------------------------------------------------------------- KerasTensors in torch code
# (label, call on the KerasTensor x, the function the message names, what it must point to)
TORCH_CALLS = [
    ("torch.relu", lambda x: torch.relu(x), "torch.relu()", "kerastorch.ops.relu"),
    ("torch.sigmoid", lambda x: torch.sigmoid(x), "torch.sigmoid()", "kerastorch.ops.sigmoid"),
    ("torch.tanh", lambda x: torch.tanh(x), "torch.tanh()", "kerastorch.ops.tanh"),
    ("torch.exp", lambda x: torch.exp(x), "torch.exp()", "kerastorch.ops.exp"),
    ("torch.cat", lambda x: torch.cat([x, x], dim=1), "torch.cat()", "kerastorch.ops.concatenate"),
    ("torch.stack", lambda x: torch.stack([x, x]), "torch.stack()", "kerastorch.ops.stack"),
    ("torch.matmul", lambda x: torch.matmul(x, torch.ones(4, 2)), "torch.matmul()", "kerastorch.ops.matmul"),
    ("torch.sum", lambda x: torch.sum(x, dim=1), "torch.sum()", "kerastorch.ops.sum"),
    ("torch.mean", lambda x: torch.mean(x), "torch.mean()", "kerastorch.ops.mean"),
    ("torch.clamp", lambda x: torch.clamp(x, 0, 1), "torch.clamp()", "kerastorch.ops.clip"),
    ("torch.reshape", lambda x: torch.reshape(x, (-1,)), "torch.reshape()", "kerastorch.ops.reshape"),
    ("torch.unsqueeze", lambda x: torch.unsqueeze(x, 1), "torch.unsqueeze()", "kerastorch.ops.expand_dims"),
    ("torch.where", lambda x: torch.where(torch.ones(4, dtype=torch.bool), x, 0.0), "torch.where()",
     "kerastorch.ops.where"),
    ("torch.softmax", lambda x: torch.softmax(x, dim=-1), "torch.softmax()", "kerastorch.ops.softmax"),
    ("F.relu", lambda x: F.relu(x), "relu()", "kerastorch.ops.relu"),
    ("F.gelu", lambda x: F.gelu(x), "gelu()", "kerastorch.ops.gelu"),
    ("F.linear", lambda x: F.linear(x, torch.ones(2, 4)), "torch.nn.functional.linear()", "layers.Dense"),
    ("F.dropout", lambda x: F.dropout(x, 0.5), "dropout()", "layers.Dropout"),
    ("F.layer_norm", lambda x: F.layer_norm(x, (4,)), "layer_norm()",
     "kerastorch.ops.layer_normalization or layers.LayerNormalization"),
    ("F.embedding", lambda x: F.embedding(x, torch.ones(5, 2)), "embedding()",
     "kerastorch.ops.take or layers.Embedding"),
]


@pytest.mark.parametrize("label, call, function, use", TORCH_CALLS, ids=[row[0] for row in TORCH_CALLS])
def test_a_torch_function_given_a_keras_tensor_names_it_and_what_to_use(label, call, function, use):
    with pytest.raises(TypeError) as info:
        call(_x())
    message = str(info.value)
    assert function in message and "KerasTensor 'features'" in message, message
    assert f"Use {use}" in message, message
    assert "layers.Lambda(" in message, message


# (label, the torch module, the layer the message suggests besides TorchModuleWrapper)
TORCH_MODULES = [
    ("Linear", lambda: torch.nn.Linear(4, 2), "torch.nn.Linear", "layers.Dense"),
    ("Sequential", lambda: torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), "torch.nn.Sequential",
     "layers.Dense"),
    ("LayerNorm", lambda: torch.nn.LayerNorm(4), "torch.nn.LayerNorm", "layers.LayerNormalization"),
    ("Dropout", lambda: torch.nn.Dropout(0.1), "torch.nn.Dropout", "layers.Dropout"),
    ("custom", lambda: _TorchBlock(), "test_functional_errors._TorchBlock", "layers.Dense"),
]


class _TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = torch.nn.Linear(4, 4)

    def forward(self, x):
        return torch.relu(self.inner(x)) + x


@pytest.mark.parametrize("label, make, module, use", TORCH_MODULES, ids=[row[0] for row in TORCH_MODULES])
def test_a_torch_module_called_on_a_keras_tensor_is_named_with_torch_module_wrapper(label, make, module, use):
    with pytest.raises(TypeError) as info:
        make()(_x())
    message = str(info.value)
    assert re.search(rf"The torch module (\w+\.)*{re.escape(module)} was called", message) and "KerasTensor 'features'" in message, message
    assert "layers.TorchModuleWrapper(module)" in message and use in message, message


def test_the_wrapped_module_of_the_message_works_and_equals_plain_torch():
    module = _TorchBlock()
    x = _x()
    model = kerastorch.Model(x, layers.TorchModuleWrapper(module)(x))
    data = torch.randn(3, 4)
    with torch.no_grad():
        torch.testing.assert_close(model(data), module(data))


# (tensor method, what the message points to)
TENSOR_METHODS = [("view", "kerastorch.ops.reshape"), ("permute", "kerastorch.ops.transpose"),
                  ("unsqueeze", "kerastorch.ops.expand_dims"), ("relu", "kerastorch.ops.relu"),
                  ("detach", "kerastorch.ops.stop_gradient"), ("numpy", "kerastorch.ops.convert_to_numpy"),
                  ("softmax", "kerastorch.ops.softmax"), ("float", "kerastorch.ops.cast")]


@pytest.mark.parametrize("method, use", TENSOR_METHODS, ids=[row[0] for row in TENSOR_METHODS])
def test_a_torch_tensor_method_on_a_keras_tensor_names_the_op_to_use(method, use):
    with pytest.raises(AttributeError) as info:
        getattr(_x(), method)
    message = str(info.value)
    assert f"no attribute {method!r}" in message and f"Use {use}(x, ...)" in message, message
    assert "layers.Lambda" in message, message


NUMPY_CALLS = [("np.exp", lambda x: np.exp(x), "np.exp()", "kerastorch.ops.exp"),
               ("np.sqrt", lambda x: np.sqrt(x), "np.sqrt()", "kerastorch.ops.sqrt"),
               ("np.maximum", lambda x: np.maximum(x, 0.0), "np.maximum()", "kerastorch.ops.maximum"),
               ("np.add.reduce", lambda x: np.add.reduce(x), "np.add.reduce()", "kerastorch.ops.add")]


@pytest.mark.parametrize("label, call, function, use", NUMPY_CALLS, ids=[row[0] for row in NUMPY_CALLS])
def test_a_numpy_ufunc_given_a_keras_tensor_names_it_and_what_to_use(label, call, function, use):
    with pytest.raises(TypeError) as info:
        call(_x())
    message = str(info.value)
    assert message.startswith(f"{function} received the KerasTensor 'features'") and f"Use {use}" in message


def test_symbolic_values_python_cannot_read_say_what_to_use():
    x = _x()
    cases = [(lambda: len(x), TypeError, r"len\(\) of the symbolic KerasTensor 'features'.*ops\.shape\(x\)\[0\]"),
             (lambda: bool(x > 0), TypeError, r"no truth value.*ops\.where.*ops\.cond"),
             (lambda: float(x), ValueError, r"cannot be converted to a float"),
             (lambda: iter(x), NotImplementedError, r"ops\.unstack"),
             (lambda: np.asarray(x), ValueError, r"cannot be converted to a NumPy array")]
    for call, kind, pattern in cases:
        with pytest.raises(kind, match=pattern):
            call()


def test_python_operators_between_arrays_and_keras_tensors_record_ops():
    # Real Keras refuses `array + x` (it converts x to an array first); here the array's operator
    # defers to the KerasTensor's reflected one, and the values are NumPy's own.
    a = np.array([1.0, -2.0, 3.0, 0.5], "float32")
    formulas = {"add": lambda x: a + x, "sub": lambda x: a - x, "mul": lambda x: a * x, "div": lambda x: a / x,
                "floordiv": lambda x: a // x, "mod": lambda x: a % x, "pow": lambda x: a ** x,
                "gt": lambda x: a > x, "ne": lambda x: a != x,
                "scalars": lambda x: np.float32(2.0) * x - np.float64(1.0)}
    data = np.array([[1.0, 2.0, 0.5, 3.0], [0.25, -1.0, 3.0, 2.0]], "float32")
    x = kerastorch.Input(shape=(4,), name="features")
    model = kerastorch.Model(x, {name: f(x) for name, f in formulas.items()})
    with torch.no_grad():
        out = model(torch.as_tensor(data))
    for name, f in formulas.items():
        np.testing.assert_allclose(out[name].numpy(), f(data), rtol=1e-6, err_msg=name)
    assert (np.ones(4) == _x()) is False         # `==` stays identity, as between KerasTensors


# --------------------------------------------------------------------------- dicts of inputs
def _dict_model():
    a = kerastorch.Input(shape=(2,), name="title")
    b = kerastorch.Input(shape=(2,), name="body")
    c = kerastorch.Input(shape=(2,), name="tags")
    return kerastorch.Model({"title": a, "body": b, "tags": c}, a + b * c, name="ticket")


def _list_model():
    a = kerastorch.Input(shape=(2,), name="title")
    b = kerastorch.Input(shape=(2,), name="body")
    return kerastorch.Model([a, b], a - b, name="pair")


ONE = torch.ones(1, 2)
# (label, model maker, the dict given, the pattern the message must match)
BAD_DICTS = [
    ("missing", _dict_model, {"title": ONE, "body": ONE},
     r"Model 'ticket' takes the inputs \['title', 'body', 'tags'\]; the dict given lacks \['tags'\]"),
    ("two missing", _dict_model, {"body": ONE},
     r"takes the inputs \['title', 'body', 'tags'\]; the dict given lacks \['title', 'tags'\]"),
    ("unknown, close", _dict_model, {"title": ONE, "body": ONE, "tags": ONE, "tag": ONE},
     r"takes the inputs \['title', 'body', 'tags'\]; the dict given has unknown key\(s\) 'tag' "
     r"\(did you mean 'tags'\?\)"),
    ("misspelt", _dict_model, {"title": ONE, "bdy": ONE, "tags": ONE},
     r"lacks \['body'\] and has unknown key\(s\) 'bdy' \(did you mean 'body'\?\)"),
    ("unknown, far", _dict_model, {"title": ONE, "body": ONE, "tags": ONE, "zzz": ONE},
     r"has unknown key\(s\) 'zzz'\. Pass one entry per model input, keyed by the Input's name"),
    ("list model, missing", _list_model, {"title": ONE},
     r"Model 'pair' takes the inputs \['title', 'body'\]; the dict given lacks \['body'\]"),
]


@pytest.mark.parametrize("label, make, given, pattern", BAD_DICTS, ids=[row[0] for row in BAD_DICTS])
def test_a_dict_of_inputs_with_missing_or_unknown_keys_names_the_model_inputs(label, make, given, pattern):
    model = make()
    with pytest.raises(ValueError, match=pattern):
        model(given)


def test_a_list_model_takes_a_dict_holding_more_keys_as_keras_does():
    model = _list_model()
    out = model({"title": ONE, "body": 2 * ONE, "extra": ONE})
    torch.testing.assert_close(out, -ONE)


def test_a_wrong_number_of_inputs_names_them():
    with pytest.raises(ValueError, match=r"Model 'pair' takes 2 input\(s\) \['title', 'body'\], got a list of 3"):
        _list_model()([ONE, ONE, ONE])
    with pytest.raises(ValueError, match=r"Model 'pair' takes 2 inputs \['title', 'body'\], got one Tensor"):
        _list_model()(ONE)


# --------------------------------------------------------------------------- disconnected graphs
def _disconnected_output():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="b")
    return dict(inputs=a, outputs=layers.Dense(1, name="score")(a + b))


def _one_of_two_outputs():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(3,), name="side")
    return dict(inputs=[a], outputs={"main": layers.Dense(1, name="main")(a),
                                     "aux": layers.Dense(1, name="aux")(b)})


def _an_input_as_output():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="orphan")
    return dict(inputs=a, outputs=[layers.Dense(1, name="d")(a), b])


def _through_a_nested_model():
    c = kerastorch.Input(shape=(2,), name="context")
    inner_in = kerastorch.Input(shape=(2,), name="inner_in")
    inner = kerastorch.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    a = kerastorch.Input(shape=(2,), name="a")
    return dict(inputs=a, outputs=layers.Add(name="join")([inner(c), a]))


def _above_an_intermediate_input():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="b")
    h = layers.Dense(2, name="h")(a)
    return dict(inputs=h, outputs=layers.Dense(1, name="top")(h + b))


# (label, graph maker, the pattern the message must match)
DISCONNECTED = [
    ("output needs another input", _disconnected_output,
     r"the output\(s\) of \['score'\] depend on Input 'b', which is not among the model's inputs \('a'\)"),
    ("one output of two", _one_of_two_outputs,
     r"the output\(s\) of \['aux'\] depend on Input 'side', which is not among the model's inputs \('a'\)"),
    ("an Input as output", _an_input_as_output, r"\['orphan'\] depend on Input 'orphan'"),
    ("through a nested model", _through_a_nested_model,
     r"the output\(s\) of \['join'\] depend on Input 'context'"),
    ("above an intermediate input", _above_an_intermediate_input, r"\['top'\] depend on Input 'b'"),
]


@pytest.mark.parametrize("label, make, pattern", DISCONNECTED, ids=[row[0] for row in DISCONNECTED])
def test_outputs_that_need_an_input_not_given_are_named(label, make, pattern):
    graph = make()
    with pytest.raises(ValueError, match=pattern + r".*Add it to inputs"):
        kerastorch.Model(graph["inputs"], graph["outputs"], name="broken")


def _unused_inputs(count):
    used = kerastorch.Input(shape=(2,), name="used")
    extra = [kerastorch.Input(shape=(2,), name=f"spare_{i}") for i in range(count)]
    return [used, *extra], layers.Dense(1)(used), [x.name for x in extra]


@pytest.mark.parametrize("count", [1, 2])
def test_inputs_that_reach_no_output_are_named(count):
    inputs, outputs, names = _unused_inputs(count)
    with pytest.warns(UserWarning, match=re.escape(f"the input(s) {names} reach no output")):
        model = kerastorch.Model(inputs, outputs)
    assert model.input_names == ["used", *names]          # kept, as Keras keeps them
    out = model([torch.ones(1, 2)] + [torch.zeros(1, 2)] * count)
    assert tuple(out.shape) == (1, 1)


def test_outputs_and_inputs_must_be_symbolic_and_listed_once():
    x = _x()
    with pytest.raises(TypeError, match=r"every value of `outputs` must be a KerasTensor.*got Tensor"):
        kerastorch.Model(x, torch.ones(2))
    with pytest.raises(TypeError, match=r"every value of `inputs` must be a KerasTensor.*got ndarray"):
        kerastorch.Model(inputs=np.ones(2), outputs=x)
    with pytest.raises(ValueError, match=r"an Input is listed twice in `inputs`"):
        kerastorch.Model([x, x], layers.Dense(1)(x))
    with pytest.raises(ValueError, match=r"`outputs` is empty"):
        kerastorch.Model(x, [])


# --------------------------------------------------------------------------- compile and fit by output name
def _two_outputs():
    a = kerastorch.Input(shape=(5,), name="title")
    b = kerastorch.Input(shape=(3,), name="tags")
    h = layers.Concatenate(name="join")([a, b])
    return kerastorch.Model({"title": a, "tags": b},
                            {"priority": layers.Dense(1, name="priority")(h),
                             "department": layers.Dense(3, activation="softmax", name="department")(h)})


X = {"title": np.ones((4, 5), "float32"), "tags": np.ones((4, 3), "float32")}
Y = {"priority": np.ones((4, 1), "float32"), "department": np.eye(3, dtype="float32")[[0, 1, 2, 0]]}
LOSSES = {"priority": "mse", "department": "categorical_crossentropy"}
OUTPUTS = re.escape("The model's outputs are ['department', 'priority']")
# (label, compile arguments, the pattern the message must match)
BAD_BY_NAME = [
    ("loss, close", dict(loss={"priorty": "mse", "department": "categorical_crossentropy"}),
     r"`loss` names output\(s\) the model does not have: 'priorty' \(did you mean 'priority'\?\)\. " + OUTPUTS),
    ("metrics, close", dict(loss=LOSSES, metrics={"prio": ["mae"]}),
     r"`metrics` names output\(s\) the model does not have: 'prio' \(did you mean 'priority'\?\)\. " + OUTPUTS),
    ("loss_weights, far", dict(loss=LOSSES, loss_weights={"dept": 1.0, "priority": 1.0}),
     r"`loss_weights` names output\(s\) the model does not have: 'dept'\. " + OUTPUTS),
]


@pytest.mark.parametrize("label, kwargs, pattern", BAD_BY_NAME, ids=[row[0] for row in BAD_BY_NAME])
def test_a_loss_or_metric_dict_with_an_unknown_output_lists_the_outputs(label, kwargs, pattern):
    model = _two_outputs()
    with pytest.raises(ValueError, match=pattern):
        model.compile(optimizer="sgd", **kwargs)
        model.fit(X, Y, verbose=0)


def test_fit_and_predict_name_the_inputs_and_outputs_a_dict_misses():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=LOSSES)
    with pytest.raises(ValueError, match=r"`y` is a dict with key\(s\) 'priorty' \(did you mean 'priority'\?\)"):
        model.fit(X, {"priorty": Y["priority"], "department": Y["department"]}, verbose=0)
    with pytest.raises(ValueError, match=r"`y` lacks the output\(s\) \['department'\]"):
        model.fit(X, {"priority": Y["priority"]}, verbose=0)
    with pytest.raises(ValueError, match=r"takes the inputs \['title', 'tags'\]; the dict given lacks \['tags'\]"):
        model.predict({"title": X["title"]}, verbose=0)
    with pytest.raises(ValueError, match=r"lacks \['title'\] and has unknown key\(s\) 'titel' \(did you mean "
                                         r"'title'\?\)"):
        model.evaluate({"titel": X["title"], "tags": X["tags"]}, Y, verbose=0)


def test_a_refused_fit_leaves_the_compiled_model_trainable():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=LOSSES)
    with pytest.raises(ValueError, match=r"`y` lacks the output\(s\) \['department'\]"):
        model.fit(X, {"priority": Y["priority"]}, verbose=0)
    history = model.fit(X, Y, verbose=0).history
    assert sorted(history) == ["department_loss", "loss", "priority_loss"]
