"""`kerastorch.Variable` against real Keras 3's `keras.Variable` (torch backend), and by hand.

The tables below drive every check: the constructor cases, the operators with each kind of
operand, and the layer families whose weights are stored in a torch layout (Dense, Conv, RNN
kernels) so that `value`, `assign` and `value.grad` must go through that layout.
"""

import operator

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _dtype(x):
    if isinstance(x, torch.Tensor):
        return str(x.dtype).replace("torch.", "")
    return str(np.asarray(x).dtype)


# ---------------------------------------------------------------- constructor, attributes
# (description, make(lib) -> Variable): the same arguments to keras.Variable and kerastorch.Variable.
CONSTRUCTORS = [
    ("float32 array", lambda lib: lib.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="w")),
    ("float64 array", lambda lib: lib.Variable(np.ones((2,), "float64"))),
    ("list of floats", lambda lib: lib.Variable([[1.0, 2.0], [3.0, 4.0]])),
    ("python float", lambda lib: lib.Variable(3.5, name="scalar")),
    ("python int", lambda lib: lib.Variable(7, trainable=False)),
    ("bool", lambda lib: lib.Variable(True, trainable=False, name="flag")),
    ("int64 array", lambda lib: lib.Variable(np.array([1, 2], "int64"), trainable=False)),
    ("initializer name", lambda lib: lib.Variable("ones", shape=(2, 2))),
    ("initializer + dtype", lambda lib: lib.Variable("zeros", shape=(3,), dtype="float64")),
    ("initializer object", lambda lib: lib.Variable(lib.initializers.Constant(2.5), shape=(1, 2))),
    ("callable", lambda lib: lib.Variable(lambda shape, dtype: np.full(shape, 4.0, dtype), shape=(2,))),
    ("float16 dtype", lambda lib: lib.Variable([1.0, 2.0], dtype="float16")),
    ("non-trainable", lambda lib: lib.Variable(np.zeros(3, "float32"), trainable=False)),
    ("annotations", lambda lib: lib.Variable(1.0, aggregation="mean", synchronization="on_read")),
]


@pytest.mark.keras
def test_variable_attributes_match_keras(keras):
    for label, make in CONSTRUCTORS:
        keras.utils.clear_session(free_memory=False)   # auto names restart in both
        kerastorch.utils.clear_session(free_memory=False)
        theirs, ours = make(keras), make(kerastorch)
        for attr in ("shape", "ndim", "dtype", "trainable", "name", "path", "aggregation",
                     "synchronization", "overwrite_with_gradient", "regularizer", "constraint"):
            assert getattr(ours, attr) == getattr(theirs, attr), (label, attr)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=label)
        assert ours.numpy().dtype == theirs.numpy().dtype, label
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype, label
        assert _dtype(ours.value) == _dtype(theirs.value), label
        assert ours.value.requires_grad == theirs.value.requires_grad, label
        assert type(ours.numpy()) is np.ndarray and not np.shares_memory(ours.numpy(), ours.numpy())
        assert repr(ours).split(", value=")[0] == repr(theirs).split(", value=")[0], label


def test_auto_names_count_up_and_restart_with_clear_session():
    assert [kerastorch.Variable(0.0).name for _ in range(3)] == ["variable", "variable_1", "variable_2"]
    kerastorch.utils.clear_session()
    assert kerastorch.Variable(0.0).path == "variable"


def test_user_variable_owns_a_parameter_on_the_configured_device():
    v = kerastorch.Variable(np.ones(3, "float32"))
    assert isinstance(v.value, torch.nn.Parameter) and v.value.device == kerastorch.config.get_device()
    v.trainable = False
    assert not v.value.requires_grad and not v.trainable


# ---------------------------------------------------------------- operators
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
          operator.pow, operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
          operator.and_, operator.or_, operator.xor]
# The other operand, as the same value for both libraries.
OTHERS = [
    ("int", lambda lib: 2),
    ("float", lambda lib: 1.5),
    ("float32 array", lambda lib: np.array([[0.5, 2.0], [3.0, -1.0]], "float32")),
    ("float64 array", lambda lib: np.array([[0.5, 2.0], [3.0, -1.0]], "float64")),
    ("variable", lambda lib: lib.Variable(np.array([[2.0, 1.0], [0.5, 4.0]], "float32"))),
]


@pytest.mark.keras
def test_operators_match_keras_values_and_dtypes(keras):
    start = np.array([[1.0, -2.0], [3.5, 4.0]], "float32")
    ours_v, theirs_v = kerastorch.Variable(start), keras.Variable(start)
    for op in BINARY:
        for label, other in OTHERS:
            for reflected in (False, True):
                if reflected and label == "variable":
                    continue   # variable (op) variable is the forward case
                args = lambda v, lib: (other(lib), v) if reflected else (v, other(lib))  # noqa: E731
                case = f"{op.__name__} {label} reflected={reflected}"
                try:
                    theirs = op(*args(theirs_v, keras))
                except TypeError:   # numpy's own `&` on floats: kerastorch must refuse it too
                    with pytest.raises(TypeError):
                        op(*args(ours_v, kerastorch))
                    continue
                ours = op(*args(ours_v, kerastorch))
                np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6, err_msg=case)
                assert _dtype(ours) == _dtype(theirs), case
                assert type(ours) is type(theirs), case   # numpy's own operator wins for array (op) v


@pytest.mark.keras
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar")  # Keras' float()
def test_matmul_unary_indexing_and_scalars_match_keras(keras):
    start = np.array([[1.25, -2.0], [3.5, 4.0]], "float32")
    other = np.array([[1.0, 0.5], [-1.0, 2.0]], "float32")
    ours_v, theirs_v = kerastorch.Variable(start), keras.Variable(start)
    cases = [
        ("matmul", lambda v: v @ other), ("rmatmul", lambda v: other @ v),
        ("neg", operator.neg), ("pos", operator.pos), ("abs", abs),
        ("round", lambda v: round(v, 1)), ("getitem", lambda v: v[1]), ("slice", lambda v: v[:, 0]),
        ("torch function", lambda v: torch.matmul(torch.ones(1, 2), v)),
    ]
    for label, fn in cases:
        np.testing.assert_allclose(_np(fn(ours_v)), _np(fn(theirs_v)), rtol=1e-6, err_msg=label)
        assert _dtype(fn(ours_v)) == _dtype(fn(theirs_v)), label
    ours_s, theirs_s = kerastorch.Variable(2.75), keras.Variable(2.75)
    assert float(ours_s) == float(theirs_s) and int(ours_s) == int(theirs_s) == 2
    assert (ours_v == None) is False and (ours_v != None) is True   # noqa: E711 (as Keras)


@pytest.mark.keras
def test_assign_family_matches_keras(keras):
    start = np.array([1.0, 2.0, 3.0], "float32")
    ours, theirs = kerastorch.Variable(start), keras.Variable(start)
    steps = [("assign", [4.0, 5.0, 6.0]), ("assign_add", 1.0), ("assign_sub", np.array([0.5, 1.0, 1.5])),
             ("assign", np.array([7, 8, 9])), ("assign_add", kerastorch.Variable(np.ones(3, "float32")))]
    for method, value in steps:
        keras_value = keras.Variable(np.ones(3, "float32")) if isinstance(value, kerastorch.Variable) else value
        returned = getattr(ours, method)(value)
        getattr(theirs, method)(keras_value)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=method)
        np.testing.assert_array_equal(_np(returned), theirs.numpy(), err_msg=method)
        assert ours.dtype == "float32" and ours.value.requires_grad
    iv = kerastorch.Variable(np.array([1, 2], "int32"), trainable=False)
    iv.assign_add(3)
    assert iv.numpy().tolist() == [4, 5] and iv.dtype == "int32"


def test_errors_say_what_was_expected():
    v = kerastorch.Variable(np.zeros(3, "float32"), name="w")
    with pytest.raises(ValueError, match=r"'w' has shape \(3,\), got a value of shape \(4,\)"):
        v.assign(np.zeros(4))
    with pytest.raises(ValueError, match="`shape` is required"):
        kerastorch.Variable("ones")
    with pytest.raises(ValueError, match="without '/'"):
        kerastorch.Variable(1.0, name="a/b")
    with pytest.raises(ValueError, match="`aggregation` must be one of"):
        kerastorch.Variable(1.0, aggregation="max")
    with pytest.raises(ValueError, match="cannot be trainable.*trainable=False"):
        kerastorch.Variable([1, 2])
    with pytest.raises(TypeError, match="cannot be used as a boolean"):
        bool(v)
    with pytest.raises(TypeError, match="Only scalar variables"):
        float(v)
    with pytest.raises(TypeError, match="unhashable"):
        hash(v)
    with pytest.raises(TypeError, match="unexpected keyword"):
        kerastorch.Variable(1.0, colocate=True)
    with pytest.raises(ValueError, match="sharding layouts"):
        kerastorch.Variable(1.0, layout="x")
    with pytest.raises(ValueError, match="initial value has shape"):
        kerastorch.Variable(np.zeros(2), shape=(3,))


# ---------------------------------------------------------------- layers' weights
# (label, make(lib) -> Sequential, input shape, integer ids?): families with torch-layout storage.
MODELS = [
    ("dense", lambda L: [L.Dense(3, activation="tanh", kernel_regularizer="l2",
                                 bias_constraint="non_neg"), L.Dense(2)], (4,), False),
    ("conv2d", lambda L: [L.Conv2D(3, 2, padding="same"), L.BatchNormalization(), L.Flatten(),
                          L.Dense(2)], (5, 5, 2), False),
    ("conv1d+transpose", lambda L: [L.Conv1D(2, 3), L.Conv1DTranspose(3, 2, strides=2)], (6, 2), False),
    ("depthwise+separable", lambda L: [L.DepthwiseConv2D(2, depth_multiplier=2),
                                       L.SeparableConv2D(3, 2, depth_multiplier=2)], (5, 5, 2), False),
    ("lstm", lambda L: [L.LSTM(3, return_sequences=True), L.LSTM(2)], (4, 3), False),
    ("gru", lambda L: [L.GRU(3, return_sequences=True), L.SimpleRNN(2)], (4, 3), False),
    ("bidirectional", lambda L: [L.Bidirectional(L.GRU(2)), L.Dense(1)], (4, 3), False),
    ("embedding", lambda L: [L.Embedding(7, 3), L.LayerNormalization(), L.GlobalAveragePooling1D()],
     (5,), True),
]


def _pair(keras, label, make, shape, integer):
    keras.utils.clear_session(free_memory=False)
    kerastorch.utils.clear_session(free_memory=False)
    theirs = keras.Sequential([keras.Input(shape, dtype="int32" if integer else None), *make(keras.layers)],
                              name=label.replace("+", "_"))
    ours = kerastorch.Sequential([kerastorch.Input(shape, dtype="int32" if integer else None),
                                  *make(kerastorch.layers)], name=label.replace("+", "_"))
    ours.set_weights(theirs.get_weights())
    rng = np.random.default_rng(1)
    x = rng.integers(0, 7, (3, *shape)) if integer else rng.normal(size=(3, *shape)).astype("float32")
    return theirs, ours, x


@pytest.mark.keras
def test_layer_weights_are_variables_like_keras(keras):
    for label, make, shape, integer in MODELS:
        theirs, ours, _ = _pair(keras, label, make, shape, integer)
        for group in ("weights", "trainable_weights", "non_trainable_weights", "variables",
                      "trainable_variables", "non_trainable_variables"):
            got, want = getattr(ours, group), getattr(theirs, group)
            # Keras' `variables` also list its layers' SeedGenerator states; kerastorch's hold weights.
            want = [v for v in want if not v.path.endswith("seed_generator_state")]
            assert [v.path for v in got] == [v.path for v in want], (label, group)
            assert all(isinstance(v, kerastorch.Variable) for v in got)
        for o, t in zip(ours.weights, theirs.weights):
            case = (label, t.path)
            assert (o.name, o.shape, o.dtype, o.trainable, o.ndim) == (t.name, t.shape, t.dtype, t.trainable, t.ndim), case
            assert tuple(o.value.shape) == t.shape, case
            np.testing.assert_array_equal(o.numpy(), t.numpy(), err_msg=str(case))
            assert type(o.regularizer).__name__ == type(t.regularizer).__name__, case
            assert type(o.constraint).__name__ == type(t.constraint).__name__, case
        # A Variable object stands for its weight: the same object each time it is listed.
        assert all(a is b for a, b in zip(ours.weights, ours.weights))
        assert all(a is b for a, b in zip(ours.trainable_weights, [v for v in ours.weights if v.trainable]))


@pytest.mark.keras
def test_value_grad_is_keras_layout_gradient(keras):
    for label, make, shape, integer in MODELS:
        theirs, ours, x = _pair(keras, label, make, shape, integer)
        t_out = theirs(torch.as_tensor(x), training=False)
        (t_out ** 2).sum().backward()
        o_out = ours(torch.as_tensor(x), training=False)
        np.testing.assert_allclose(_np(o_out), _np(t_out), rtol=1e-5, atol=1e-6, err_msg=label)
        ours.zero_grad()
        (o_out ** 2).sum().backward()
        for o, t in zip(ours.trainable_weights, theirs.trainable_weights):
            assert o.value.grad is not None, (label, t.path)
            assert type(o.value.grad) is torch.Tensor
            np.testing.assert_allclose(_np(o.value.grad), _np(t.value.grad), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{label} {t.path}")


@pytest.mark.keras
def test_assign_writes_through_the_stored_layout(keras):
    for label, make, shape, integer in MODELS:
        theirs, ours, x = _pair(keras, label, make, shape, integer)
        rng = np.random.default_rng(2)
        for o, t in zip(ours.weights, theirs.weights):
            new = rng.normal(size=t.shape).astype(t.dtype)
            o.assign(new)
            t.assign(new)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_array_equal(a, b, err_msg=label)
        np.testing.assert_allclose(_np(ours(torch.as_tensor(x), training=False)),
                                   _np(theirs(torch.as_tensor(x), training=False)), rtol=1e-4, atol=1e-5,
                                   err_msg=label)


def test_dense_kernel_value_is_a_view_of_the_stored_parameter():
    layer = layers.Dense(2)
    layer.build((None, 3))
    kernel = layer.weights[0]
    stored = layer.kernel                       # torch's (out, in) Linear layout
    assert tuple(stored.shape) == (2, 3) and kernel.shape == (3, 2)
    with torch.no_grad():
        stored[0, 1] = 5.0
    assert kernel.numpy()[1, 0] == 5.0          # Keras' (in, out): the same element
    assert kernel.value.data_ptr() == stored.data_ptr()
    kernel.assign(np.arange(6, dtype="float32").reshape(3, 2))
    np.testing.assert_array_equal(stored.detach().numpy(), [[0, 2, 4], [1, 3, 5]])
    # Ops on the value give plain tensors, and autograd reaches the parameter.
    (kernel.value * torch.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(stored.grad.numpy(), [[1, 1, 1], [10, 10, 10]])
    np.testing.assert_array_equal(kernel.value.grad.numpy(), [[1, 10], [1, 10], [1, 10]])


def test_trainable_flag_moves_a_weight_between_the_lists():
    model = kerastorch.Sequential([layers.Input((2,)), layers.Dense(1)])
    kernel, bias = model.weights
    kernel.trainable = False
    assert [v.name for v in model.trainable_weights] == ["bias"]
    assert [v.name for v in model.non_trainable_weights] == ["kernel"]
    with pytest.raises(ValueError, match="buffer"):
        kerastorch.Sequential([layers.Input((2,)), layers.BatchNormalization()]).weights[2].trainable = True


def test_regularizer_and_constraint_set_on_a_weight_take_effect():
    model = kerastorch.Sequential([layers.Input((2,)), layers.Dense(1, kernel_initializer="ones")])
    kernel = model.weights[0]
    kernel.regularizer = kerastorch.regularizers.L2(0.5)
    assert float(sum(model.losses)) == pytest.approx(0.5 * 2.0)    # 0.5 * (1 + 1)
    kernel.constraint = kerastorch.constraints.NonNeg()
    opt = kerastorch.optimizers.SGD(learning_rate=1.0)
    with torch.no_grad():
        opt.apply([torch.tensor([[3.0], [-3.0]]), torch.zeros(1)], model.trainable_weights)
    np.testing.assert_array_equal(kernel.numpy(), [[0.0], [4.0]])   # 1 - 3 clipped to 0; 1 + 3


def test_torch_module_wrapper_and_wrapped_modules_list_variables():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    model = kerastorch.Model(net)
    assert [v.path for v in model.weights] == [
        f"{model.name}/0.weight", f"{model.name}/0.bias", f"{model.name}/1.weight", f"{model.name}/1.bias",
        f"{model.name}/1.running_mean", f"{model.name}/1.running_var"]
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model.weights[0].assign(np.ones((2, 3), "float32"))
    assert net[0].weight.detach().sum().item() == 6.0


# ---------------------------------------------------------------- optimizer variables
@pytest.mark.keras
def test_learning_rate_is_a_variable_like_keras(keras):
    # Named: an unnamed optimizer's name counts the ones made before it in the process (any test order).
    theirs, ours = keras.optimizers.Adam(0.01, name="lr_opt"), kerastorch.optimizers.Adam(0.01, name="lr_opt")
    for o, t in ((ours.learning_rate, theirs.learning_rate),):
        assert (o.path, o.name, o.shape, o.dtype, o.trainable) == (t.path, t.name, t.shape, t.dtype, t.trainable)
        assert o.numpy() == t.numpy() and float(o) == float(t)
    ours.learning_rate.assign(0.5)
    theirs.learning_rate.assign(0.5)
    assert ours.learning_rate.numpy() == theirs.learning_rate.numpy() == np.float32(0.5)
    # The assigned rate is the one the next update uses: SGD moves w by lr * g.
    w = torch.nn.Parameter(torch.tensor([1.0]))
    sgd = kerastorch.optimizers.SGD(0.1)
    sgd.learning_rate.assign(0.25)
    sgd.apply([torch.tensor([2.0])], [w])
    assert w.item() == pytest.approx(0.5)
    sgd.learning_rate = sgd.learning_rate * 2   # a tensor result, set back as Keras allows
    assert float(sgd.learning_rate) == 0.5


def test_apply_updates_only_the_given_variables():
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = kerastorch.optimizers.SGD(learning_rate=0.5)
    opt.build([a, b])
    b.grad = torch.ones(2)                  # a stale gradient apply() must not read
    opt.apply([torch.ones(2)], [a])
    assert a.detach().tolist() == [0.5, 0.5] and b.detach().tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="not one the optimizer was built for"):
        opt.apply([torch.ones(2)], [torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match="no gradients provided"):
        opt.apply([None, None], [a, b])
    v = kerastorch.Variable(np.zeros(2, "float32"))
    v.overwrite_with_gradient = True
    kerastorch.optimizers.SGD().apply([torch.tensor([3.0, 4.0])], [v])
    assert v.numpy().tolist() == [3.0, 4.0]
