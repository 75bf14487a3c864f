"""`EinsumDense` and the attention layers against real Keras 3 (torch backend), from the same weights.

Generated over tables of configurations: outputs (and MHA input/weight gradients) within 1e-5,
attention scores, masks (attention_mask, query/value/key masks, masks carried by the tensors),
causal masks, weight names/shapes/order, configs both ways, `.weights.h5` and `.keras` files
written by one library and read by the other, and the errors for bad arguments.
"""

import doctest

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(7)


def _arr(shape):
    return RNG.normal(size=shape).astype("float32")


def _np(x):
    return keras.ops.convert_to_numpy(x) if not isinstance(x, torch.Tensor) else x.detach().cpu().numpy()


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), atol=tol, rtol=tol)


def _strip(cfg):
    return {k: v for k, v in cfg.items() if k != "name"}


# --------------------------------------------------------------------------- EinsumDense
EINSUM = [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cd->abd", (None, 6), "d", (2, 3, 5)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 4, 5)),
    ("abc,cde->abde", (None, 2, 3), "e", (2, 4, 5)),
    ("...x,xy->...y", 6, "y", (2, 3, 4, 5)),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3)),
    ("abc,cd->abd", (3, 6), None, (2, 3, 5)),
    ("abcd,cde->abe", (3, 7), "e", (2, 3, 4, 5)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape", EINSUM)
def test_einsum_dense_matches_keras(equation, output_shape, bias_axes, shape):
    kl = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="relu")
    tl = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="relu")
    x = _arr(shape)
    ko = kl(x)
    tl.build((None, *shape[1:]))
    assert [(w.path, tuple(w.shape)) for w in tl.weights] == \
        [(w.path.replace(kl.name, tl.name), tuple(w.shape)) for w in kl.weights]
    tl.set_weights(kl.get_weights())
    _close(tl(torch.tensor(x)), ko)
    assert tl.compute_output_shape((None, *shape[1:])) == kl.compute_output_shape((None, *shape[1:]))
    assert _strip(tl.get_config()) == _strip(kl.get_config())
    again = keras.layers.EinsumDense.from_config(tl.get_config())
    assert _strip(again.get_config()) == _strip(kl.get_config())


def test_einsum_dense_initializer_fans_follow_the_equation():
    # Keras takes glorot's fans over the kernel axes matched in input (8) and output (2*3):
    # limit sqrt(6 / (8 + 6)); a plain compute_fans on (8, 2, 3) would give sqrt(6 / (16 + 24)).
    tl = layers.EinsumDense("abc,cde->abde", (None, 2, 3), kernel_initializer=kerastorch.initializers.GlorotUniform(3))
    tl.build((None, 4, 8))
    w = tl.get_weights()[0]
    limit = (6 / (8 + 6)) ** 0.5
    assert w.shape == (8, 2, 3) and np.abs(w).max() <= limit and np.abs(w).max() > (6 / 40) ** 0.5


@pytest.mark.parametrize("kwargs,match", [
    (dict(equation="ab->b", output_shape=3), "invalid einsum equation"),
    (dict(equation="ab,bc->ac", output_shape=3, bias_axes="z"), "bias dimension 'z'"),
    (dict(equation="ab,bc->ad", output_shape=3), "dimension 'd'"),
    (dict(equation="ab,bc->ac", output_shape=3, lora_rank=2), "LoRA"),
])
def test_einsum_dense_refuses_what_keras_refuses(kwargs, match):
    if "lora_rank" not in kwargs:       # Keras refuses these too
        with pytest.raises(ValueError):
            keras.layers.EinsumDense(**kwargs).build((None, 5))
    with pytest.raises((ValueError, NotImplementedError), match=match):
        layer = layers.EinsumDense(**kwargs)
        layer.build((None, 5))


def test_einsum_dense_keras_file_both_ways(tmp_path):
    kmodel = keras.Sequential([keras.Input((3, 5)), keras.layers.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d")])
    x = _arr((2, 3, 5))
    kmodel.save(tmp_path / "k.keras")
    tmodel = kerastorch.models.load_model(tmp_path / "k.keras")
    _close(tmodel(torch.tensor(x)), kmodel(x))
    tmodel.save(tmp_path / "t.keras")
    back = keras.saving.load_model(tmp_path / "t.keras")
    _close(back(x), kmodel(x))


# --------------------------------------------------------------------------- MultiHeadAttention
MHA = [  # (kwargs, query shape, value shape, key shape or None)
    (dict(num_heads=2, key_dim=3), (2, 5, 8), (2, 4, 6), None),
    (dict(num_heads=2, key_dim=3, value_dim=4, output_shape=(2, 7)), (2, 5, 8), (2, 4, 6), (2, 4, 5)),
    (dict(num_heads=3, key_dim=2, output_shape=5, use_bias=False), (2, 4, 6), (2, 4, 6), None),
    (dict(num_heads=2, key_dim=3, attention_axes=(1, 2)), (2, 3, 4, 6), (2, 3, 4, 6), None),
    (dict(num_heads=2, key_dim=3, attention_axes=2), (2, 3, 4, 6), (2, 3, 4, 6), None),
    (dict(num_heads=2, key_dim=4, use_gate=True), (2, 5, 8), (2, 5, 8), None),
    (dict(num_heads=2, key_dim=4, sliding_window=2), (2, 5, 8), (2, 5, 8), None),
    (dict(num_heads=2, key_dim=4, dropout=0.5), (2, 5, 8), (2, 5, 8), None),   # dropout: explicit path
]


def _pair(kwargs, q, v, k):
    kl = keras.layers.MultiHeadAttention(**kwargs)
    tl = layers.MultiHeadAttention(**kwargs)
    xs = [_arr(s) for s in (q, v, k) if s is not None]
    kl(*xs)
    tl(*[torch.tensor(x) for x in xs])
    tl.set_weights(kl.get_weights())
    tl.eval()
    return kl, tl, xs


@pytest.mark.parametrize("kwargs,q,v,k", MHA)
def test_multi_head_attention_matches_keras(kwargs, q, v, k):
    kl, tl, xs = _pair(kwargs, q, v, k)
    ts = [torch.tensor(x) for x in xs]
    # Weight names, shapes and order are Keras' (so Keras' files load).
    assert [(w.path.replace(tl.name, "L"), tuple(w.shape)) for w in tl.weights] == \
        [(w.path.replace(kl.name, "L"), tuple(w.shape)) for w in kl.weights]
    _close(tl(*ts), kl(*xs))
    tout, tscores = tl(*ts, return_attention_scores=True)
    kout, kscores = kl(*xs, return_attention_scores=True)
    _close(tout, kout)
    _close(tscores, kscores)
    if len(q) == 3:
        _close(tl(*ts, use_causal_mask=True), kl(*xs, use_causal_mask=True))
        _close(tl(*ts, use_causal_mask=True, return_attention_scores=True)[1],
               kl(*xs, use_causal_mask=True, return_attention_scores=True)[1])
        mask = RNG.random((q[0], q[1], v[1])) > 0.3
        mask[..., 0] = True
        _close(tl(*ts, attention_mask=torch.tensor(mask)), kl(*xs, attention_mask=mask))
        _close(tl(*ts, attention_mask=torch.tensor(mask), use_causal_mask=True),
               kl(*xs, attention_mask=mask, use_causal_mask=True))
    assert tl.compute_output_shape(q, v, k) == tuple(kl.compute_output_shape(q, v, k))
    assert _strip(tl.get_config()) == _strip(kl.get_config())
    again = keras.layers.MultiHeadAttention.from_config(tl.get_config())
    assert _strip(again.get_config()) == _strip(kl.get_config())


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_gradients_match_keras(causal):
    kl, tl, xs = _pair(dict(num_heads=2, key_dim=3), (2, 5, 8), (2, 4, 8), None)
    kq, kv = (torch.tensor(x, requires_grad=True) for x in xs)
    tq, tv = (torch.tensor(x, requires_grad=True) for x in xs)
    kl(kq, kv, use_causal_mask=causal).pow(2).sum().backward()
    tl(tq, tv, use_causal_mask=causal).pow(2).sum().backward()
    _close(tq.grad, kq.grad)
    _close(tv.grad, kv.grad)
    grads = [p.grad for p in tl.parameters()]
    assert len(grads) == len(kl.trainable_weights) == 8 and all(g is not None for g in grads)
    for g, kw in zip(grads, kl.trainable_weights):
        _close(g, kw.value.grad)


def test_multi_head_attention_masks_carried_by_tensors_and_passed():
    kl, tl, xs = _pair(dict(num_heads=2, key_dim=3), (2, 5, 8), (2, 4, 8), None)
    qmask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    vmask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)
    kq, kv = (keras.ops.convert_to_tensor(x) for x in xs)
    kq._keras_mask, kv._keras_mask = torch.tensor(qmask), torch.tensor(vmask)
    tq, tv = (torch.tensor(x) for x in xs)
    tq._keras_mask, tv._keras_mask = torch.tensor(qmask), torch.tensor(vmask)
    for scores in (False, True):
        kq._keras_mask, kv._keras_mask = torch.tensor(qmask), torch.tensor(vmask)   # Keras' call clears them
        ko, to = kl(kq, kv, return_attention_scores=scores), tl(tq, tv, return_attention_scores=scores)
        ko, to = (ko, to) if scores else ((ko,), (to,))
        for a, b in zip(to, ko):
            _close(a, b)
    assert torch.equal(tl(tq, tv)._keras_mask, torch.tensor(qmask))
    # value_mask / key_mask passed as arguments (Keras honours those).
    k = _arr((2, 4, 8))
    _close(tl(torch.tensor(xs[0]), torch.tensor(xs[1]), torch.tensor(k), value_mask=torch.tensor(vmask),
              key_mask=torch.tensor(vmask[::-1].copy())),
           kl(xs[0], xs[1], k, value_mask=vmask, key_mask=vmask[::-1].copy()))


def test_multi_head_attention_dropout_is_active_only_in_training():
    tl = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=1)
    x = torch.tensor(_arr((2, 5, 8)))
    tl.eval()
    _, s_eval = tl(x, x, return_attention_scores=True)
    out_train_1, out_train_2 = tl(x, x, training=True), tl(x, x, training=True)
    assert not torch.allclose(out_train_1, out_train_2)
    _close(tl(x, x), tl(x, x))
    np.testing.assert_allclose(s_eval.sum(-1).detach().numpy(), 1.0, rtol=1e-5)


def test_multi_head_attention_functional_keras_file_and_weights_both_ways(tmp_path):
    pytest.importorskip("kerastorch.models.functional")     # these files hold Functional models
    def build(lib):
        q, v = lib.Input((5, 8)), lib.Input((4, 6))
        out = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(q, v)
        return lib.Model([q, v], out)

    kmodel, tmodel = build(keras), build(kerastorch)
    xs = [_arr((2, 5, 8)), _arr((2, 4, 6))]
    kmodel.save_weights(tmp_path / "k.weights.h5")
    tmodel.load_weights(tmp_path / "k.weights.h5")
    _close(tmodel([torch.tensor(x) for x in xs]), kmodel(xs))
    kmodel.save(tmp_path / "k.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    _close(loaded([torch.tensor(x) for x in xs]), kmodel(xs))
    tfresh = build(kerastorch)
    tfresh.save_weights(tmp_path / "t.weights.h5")
    kmodel.load_weights(tmp_path / "t.weights.h5")
    _close(kmodel(xs), tfresh([torch.tensor(x) for x in xs]))
    tfresh.save(tmp_path / "t.keras")
    back = keras.saving.load_model(tmp_path / "t.keras")
    _close(back(xs), tfresh([torch.tensor(x) for x in xs]))


def test_multi_head_attention_symbolic_outputs_have_keras_shapes():
    pytest.importorskip("kerastorch.models.functional")
    q, v = kerastorch.Input((5, 8)), kerastorch.Input((4, 6))
    out, scores = layers.MultiHeadAttention(2, 3, output_shape=7)(q, v, return_attention_scores=True)
    kq, kv = keras.Input((5, 8)), keras.Input((4, 6))
    kout = keras.layers.MultiHeadAttention(2, 3, output_shape=7)(kq, kv)
    assert tuple(out.shape) == tuple(kout.shape) == (None, 5, 7)
    assert tuple(scores.shape) == (None, 2, 5, 4)    # (batch, heads, query length, key length)
    model = kerastorch.Model([q, v], [out, scores])
    o, s = model([torch.ones(2, 5, 8), torch.ones(2, 4, 6)])
    assert tuple(o.shape) == (2, 5, 7) and tuple(s.shape) == (2, 2, 5, 4)


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_heads=0, key_dim=2), "num_heads"),
    (dict(num_heads=2, key_dim=-1), "key_dim"),
    (dict(num_heads=2, key_dim=2, value_dim=0), "value_dim"),
    (dict(num_heads=2, key_dim=2, attention_axes="x"), "attention_axes"),
    (dict(num_heads=2, key_dim=2, sliding_window=0), "sliding_window"),
    (dict(num_heads=2, key_dim=2, flash_attention=True, dropout=0.1), "flash attention"),
])
def test_multi_head_attention_refuses_bad_arguments_as_keras(kwargs, match):
    with pytest.raises(ValueError):
        keras.layers.MultiHeadAttention(**kwargs)
    with pytest.raises(ValueError, match=match):
        layers.MultiHeadAttention(**kwargs)


def test_multi_head_attention_call_errors_say_what_to_pass():
    mha = layers.MultiHeadAttention(2, 3)
    with pytest.raises(TypeError, match=r"layer\(query, value\)"):
        mha(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="except the last one"):
        mha(torch.ones(2, 3, 4), torch.ones(2, 5, 4), torch.ones(2, 6, 4))


# --------------------------------------------------------------------------- GroupQueryAttention
GQA = [
    (dict(head_dim=3, num_query_heads=4, num_key_value_heads=2), (2, 5, 8), (2, 4, 8), None),
    (dict(head_dim=2, num_query_heads=3, num_key_value_heads=1, use_bias=False), (2, 5, 6), (2, 5, 6), (2, 5, 4)),
    (dict(head_dim=2, num_query_heads=2, num_key_value_heads=2, use_gate=True, sliding_window=2),
     (2, 5, 6), (2, 5, 6), None),
    (dict(head_dim=2, num_query_heads=4, num_key_value_heads=2, dropout=0.3), (2, 5, 6), (2, 5, 6), None),
]


@pytest.mark.parametrize("kwargs,q,v,k", GQA)
def test_group_query_attention_matches_keras(kwargs, q, v, k):
    kl, tl = keras.layers.GroupQueryAttention(**kwargs), layers.GroupQueryAttention(**kwargs)
    xs = [_arr(s) for s in (q, v, k) if s is not None]
    ts = [torch.tensor(x) for x in xs]
    kl(*xs)
    tl(*ts)
    assert [(w.path.replace(tl.name, "L"), tuple(w.shape)) for w in tl.weights] == \
        [(w.path.replace(kl.name, "L"), tuple(w.shape)) for w in kl.weights]
    tl.set_weights(kl.get_weights())
    tl.eval()
    _close(tl(*ts), kl(*xs))
    for causal in (False, True):
        to, tsc = tl(*ts, return_attention_scores=True, use_causal_mask=causal)
        ko, ksc = kl(*xs, return_attention_scores=True, use_causal_mask=causal)
        _close(to, ko)
        _close(tsc, ksc)
        _close(tl(*ts, use_causal_mask=causal), kl(*xs, use_causal_mask=causal))
    mask = RNG.random((q[0], q[1], v[1])) > 0.3
    _close(tl(*ts, attention_mask=torch.tensor(mask)), kl(*xs, attention_mask=mask))
    # Keras' GroupQueryAttention honours query_mask/value_mask passed as arguments.
    qmask, vmask = RNG.random(q[:2]) > 0.3, RNG.random(v[:2]) > 0.3
    vmask[:, 0] = True
    _close(tl(*ts, query_mask=torch.tensor(qmask), value_mask=torch.tensor(vmask)),
           kl(*xs, query_mask=qmask, value_mask=vmask))
    assert _strip(tl.get_config()) == _strip(kl.get_config())
    assert tl.compute_output_shape(q, v, k) == tuple(kl.compute_output_shape(q, v, k))


def test_group_query_attention_refuses_indivisible_heads():
    with pytest.raises(ValueError):
        keras.layers.GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(2, 3, 2)


def test_group_query_attention_weights_file_both_ways(tmp_path):
    pytest.importorskip("kerastorch.models.functional")     # these files hold Functional models
    def build(lib):
        q = lib.Input((5, 8))
        return lib.Model(q, lib.layers.GroupQueryAttention(2, 4, 2, name="gqa")(q, q))

    kmodel, tmodel = build(keras), build(kerastorch)
    x = _arr((2, 5, 8))
    kmodel.save_weights(tmp_path / "k.weights.h5")
    tmodel.load_weights(tmp_path / "k.weights.h5")
    _close(tmodel(torch.tensor(x)), kmodel(x))
    tmodel.save(tmp_path / "t.keras")
    _close(keras.saving.load_model(tmp_path / "t.keras")(x), kmodel(x))


# --------------------------------------------------------------------------- Attention / AdditiveAttention
ATTENTION = [  # (class name, kwargs, number of inputs)
    ("Attention", {}, 2),
    ("Attention", dict(use_scale=True), 3),
    ("Attention", dict(score_mode="concat"), 2),
    ("Attention", dict(score_mode="concat", use_scale=True), 3),
    ("AdditiveAttention", {}, 2),
    ("AdditiveAttention", dict(use_scale=False), 3),
]


@pytest.mark.parametrize("name,kwargs,n", ATTENTION)
def test_attention_layers_match_keras(name, kwargs, n):
    kl, tl = getattr(keras.layers, name)(**kwargs), getattr(layers, name)(**kwargs)
    xs = [_arr((2, 4, 5)), _arr((2, 6, 5)), _arr((2, 6, 5))][:n]
    ts = [torch.tensor(x) for x in xs]
    kl(xs)
    tl(ts)
    if kl.weights:       # random (glorot) scale: take Keras' values
        tl.set_weights([w + 0.5 for w in kl.get_weights()])
        kl.set_weights([w + 0.5 for w in kl.get_weights()])
    assert [tuple(w.shape) for w in tl.weights] == [tuple(w.shape) for w in kl.weights]
    qmask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    vmask = np.array([[1, 1, 1, 0, 0, 1], [0, 1, 1, 1, 1, 1]], bool)
    for call in (dict(), dict(use_causal_mask=True), dict(return_attention_scores=True),
                 dict(mask=[qmask, vmask]), dict(mask=[None, vmask], use_causal_mask=True,
                                                 return_attention_scores=True)):
        tcall = dict(call)
        if "mask" in call:
            tcall["mask"] = [None if m is None else torch.tensor(m) for m in call["mask"]]
        ko, to = kl(xs, **call), tl(ts, **tcall)
        ko, to = (ko, to) if call.get("return_attention_scores") else ((ko,), (to,))
        for a, b in zip(to, ko):
            _close(a, b)
    assert tl.compute_output_shape([x.shape for x in xs]) == tuple(kl.compute_output_shape([x.shape for x in xs]))
    assert _strip(tl.get_config()) == _strip(kl.get_config())
    assert _strip(getattr(keras.layers, name).from_config(tl.get_config()).get_config()) == _strip(kl.get_config())


def test_attention_reads_masks_carried_by_the_inputs():
    q, v = torch.tensor(_arr((2, 3, 4))), torch.tensor(_arr((2, 5, 4)))
    vmask = torch.tensor([[1, 1, 0, 0, 1], [1, 1, 1, 1, 0]], dtype=torch.bool)
    expected = layers.Attention()([q, v], mask=[None, vmask])
    v._keras_mask = vmask
    _close(layers.Attention()([q, v]), expected)
    # by hand: masked value positions get no weight
    _, scores = layers.Attention()([q, v], return_attention_scores=True)
    assert float(scores[0, :, 2:4].abs().max()) == 0.0 and float(scores[1, :, 4].abs().max()) == 0.0


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_attention_layers_refuse_wrong_inputs_as_keras(name):
    x = torch.ones(2, 3, 4)
    with pytest.raises(ValueError, match="list of inputs"):
        getattr(layers, name)()(x)
    with pytest.raises(ValueError, match="length 2 or 3"):
        getattr(layers, name)()([x])
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")


def test_attention_in_a_functional_keras_file_both_ways(tmp_path):
    pytest.importorskip("kerastorch.models.functional")     # these files hold Functional models
    def build(lib):
        q, v = lib.Input((4, 5)), lib.Input((6, 5))
        a = lib.layers.Attention(use_scale=True, name="att")([q, v])
        b = lib.layers.AdditiveAttention(name="add_att")([q, v])
        return lib.Model([q, v], lib.layers.Concatenate()([a, b]))

    kmodel = build(keras)
    kmodel.get_layer("att").set_weights([np.array(1.7, "float32")])      # a scale that is not its initial 1
    xs = [_arr((2, 4, 5)), _arr((2, 6, 5))]
    kmodel.save(tmp_path / "k.keras")
    tmodel = kerastorch.models.load_model(tmp_path / "k.keras")
    _close(tmodel([torch.tensor(x) for x in xs]), kmodel(xs))
    tmodel.save(tmp_path / "t.keras")
    _close(keras.saving.load_model(tmp_path / "t.keras")(xs), kmodel(xs))


# --------------------------------------------------------------------------- docstrings
@pytest.mark.parametrize("module", ["einsum_dense", "attention.multi_head", "attention.attention",
                                    "attention.additive", "attention.grouped_query"])
def test_docstring_examples_run(module):
    import importlib

    mod = importlib.import_module(f"kerastorch.layers.{module}")
    result = doctest.testmod(mod, extraglobs={"kerastorch": kerastorch})
    assert result.failed == 0 and result.attempted > 0
