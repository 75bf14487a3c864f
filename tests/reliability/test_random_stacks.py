"""Property: a random `Sequential` either builds with exact shapes, or fails at construction, cleanly.

Hypothesis draws stacks of layers from the catalogue with random sizes, kernels, strides and
paddings. Most layers are drawn for the rank they expect (so stacks get deep), some for any rank,
and sizes are drawn without regard to what fits, so many stacks cannot be built. Either

- the model builds, and every layer's `layer.output.shape` (what `summary()` prints) equals the
  shape a real forward pass produces, layer by layer, and the forward pass does not fail; or
- construction raises a `ValueError`/`TypeError` that names the offending layer, and was not
  produced by catching a raw torch error from deep inside (no RuntimeError/IndexError cause).
"""

import contextlib
import io
import os
import tempfile

import numpy as np
import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

try:  # keep Hypothesis' cache out of the working tree (no example database is used)
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "kerastorch-hypothesis"))
except ImportError:  # pragma: no cover - older Hypothesis
    pass

import kerastorch  # noqa: E402
from kerastorch import layers  # noqa: E402
from kerastorch.layers.base import format_shape  # noqa: E402

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

# How big a None (variable) axis is in the real batch.
VARIABLE_SIZE = 16
BATCH = 3


def _spec(draw, rank, first):
    """Draws one layer spec `(class_name, kwargs)` and the rank of its output (a guess)."""
    small = st.integers(1, 4)
    padding = st.sampled_from(["valid", "same"])
    by_rank = {
        "Dense": (None, lambda: ({"units": draw(small)}, rank)),
        "Activation": (None, lambda: ({"activation": draw(st.sampled_from(["relu", "tanh", "softmax"]))}, rank)),
        "Dropout": (None, lambda: ({"rate": draw(st.sampled_from([0.0, 0.5]))}, rank)),
        "BatchNormalization": (None, lambda: ({"axis": draw(st.sampled_from([-1, 1]))}, rank)),
        "LayerNormalization": (None, lambda: ({"axis": draw(st.sampled_from([-1, 1]))}, rank)),
        "Flatten": (None, lambda: ({}, 1)),
        "Reshape": (None, lambda: _reshape(draw)),
        "Permute": (None, lambda: ({"dims": tuple(draw(st.permutations(range(1, rank + 1))))}, rank)),
        "RepeatVector": (1, lambda: ({"n": draw(small)}, 2)),
        "Conv1D": (2, lambda: (_conv(draw, 1, padding_values=["valid", "same", "causal"]), 2)),
        "Conv2D": (3, lambda: (_conv(draw, 2), 3)),
        "Conv1DTranspose": (2, lambda: (_conv(draw, 1), 2)),
        "Conv2DTranspose": (3, lambda: (_conv(draw, 2), 3)),
        "SeparableConv1D": (2, lambda: (_conv(draw, 1), 2)),
        "DepthwiseConv2D": (3, lambda: (_depthwise(draw), 3)),
        "MaxPooling1D": (2, lambda: (_pool(draw, padding), 2)),
        "AveragePooling1D": (2, lambda: (_pool(draw, padding), 2)),
        "MaxPooling2D": (3, lambda: (_pool(draw, padding), 3)),
        "AveragePooling2D": (3, lambda: (_pool(draw, padding), 3)),
        "UpSampling1D": (2, lambda: ({"size": draw(small)}, 2)),
        "UpSampling2D": (3, lambda: ({"size": (draw(small), draw(small)),
                                      "data_format": draw(st.sampled_from(["channels_last", "channels_first"]))},
                                     3)),
        "ZeroPadding1D": (2, lambda: ({"padding": (draw(st.integers(0, 2)), draw(st.integers(0, 2)))}, 2)),
        "ZeroPadding2D": (3, lambda: ({"padding": ((draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                                                   (draw(st.integers(0, 2)), draw(st.integers(0, 2))))}, 3)),
        "Cropping1D": (2, lambda: ({"cropping": (draw(st.integers(0, 3)), draw(st.integers(0, 3)))}, 2)),
        "Cropping2D": (3, lambda: ({"cropping": ((draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                                                 (draw(st.integers(0, 2)), draw(st.integers(0, 2))))}, 3)),
        "GlobalAveragePooling1D": (2, lambda: _global(draw, 2)),
        "GlobalMaxPooling1D": (2, lambda: _global(draw, 2)),
        "GlobalAveragePooling2D": (3, lambda: _global(draw, 3)),
        "GlobalMaxPooling2D": (3, lambda: _global(draw, 3)),
        "LSTM": (2, lambda: _rnn(draw)),
        "GRU": (2, lambda: _rnn(draw)),
        "SimpleRNN": (2, lambda: _rnn(draw)),
    }
    fitting = [name for name, (r, _) in by_rank.items() if r is None or r == rank]
    # One layer in eight is drawn for any rank: most of those cannot be built.
    names = sorted(by_rank) if draw(st.integers(0, 7)) == 0 else fitting
    name = draw(st.sampled_from(names))
    kwargs, out_rank = by_rank[name][1]()
    return name, kwargs, out_rank


def _conv(draw, rank, padding_values=("valid", "same")):
    kwargs = {"filters": draw(st.integers(1, 4)), "kernel_size": draw(st.integers(1, 4)),
              "padding": draw(st.sampled_from(list(padding_values)))}
    if draw(st.booleans()):
        kwargs["strides"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 2)) == 0:
        kwargs["dilation_rate"] = draw(st.integers(1, 2))   # with strides > 1: refused, as in Keras
    if draw(st.integers(0, 3)) == 0:
        kwargs["data_format"] = "channels_first"
    return kwargs


def _depthwise(draw):
    kwargs = _conv(draw, 2)
    del kwargs["filters"]
    kwargs["depth_multiplier"] = draw(st.integers(1, 2))
    return kwargs


def _pool(draw, padding):
    kwargs = {"pool_size": draw(st.integers(1, 3)), "padding": draw(padding)}
    if draw(st.booleans()):
        kwargs["strides"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        kwargs["data_format"] = "channels_first"
    return kwargs


def _global(draw, rank):
    keepdims = draw(st.booleans())
    kwargs = {"keepdims": keepdims}
    if draw(st.integers(0, 3)) == 0:
        kwargs["data_format"] = "channels_first"
    return kwargs, (rank if keepdims else 1)


def _rnn(draw):
    sequences = draw(st.booleans())
    return {"units": draw(st.integers(1, 4)), "return_sequences": sequences}, (2 if sequences else 1)


def _reshape(draw):
    target = draw(st.sampled_from([(-1,), (-1, 1), (-1, 2), (2, -1), (-1, 2, 2), (4,), (2, 2), (-1, 3)]))
    return {"target_shape": target}, len(target)


@st.composite
def stacks(draw):
    """`(input kwargs, [(class_name, kwargs), ...], integer_input)`."""
    if draw(st.integers(0, 5)) == 0:
        # Embedding first, on integer ids.
        length = draw(st.one_of(st.integers(1, 8), st.just(None)) if draw(st.booleans()) else st.integers(1, 8))
        specs = [("Embedding", {"input_dim": draw(st.integers(2, 10)), "output_dim": draw(st.integers(1, 4))})]
        input_shape, rank, integer = (length,), 2, True
    else:
        rank = draw(st.integers(1, 3))
        dims = [draw(st.integers(1, 9)) for _ in range(rank)]
        if rank >= 2 and draw(st.integers(0, 5)) == 0:
            dims[0] = None          # a variable-length axis (time, or height)
        input_shape, specs, integer = tuple(dims), [], False
    for _ in range(draw(st.integers(1, 5))):
        name, kwargs, rank = _spec(draw, rank, first=not specs)
        specs.append((name, kwargs))
    return input_shape, specs, integer


def _matches(reported, actual):
    return len(reported) == len(actual) and all(r is None or r == a for r, a in zip(reported, actual))


def _cause_chain(error):
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return seen


def _check_stack(input_shape, specs, integer):
    described = f"Input(shape={input_shape}) " + " ".join(f"{n}({k})" for n, k in specs)
    built_layers = []
    try:
        for name, kwargs in specs:
            built_layers.append(getattr(layers, name)(**kwargs))
        model = kerastorch.Sequential(
            [layers.Input(shape=input_shape, dtype="int32" if integer else "float32"), *built_layers])
    except (ValueError, TypeError) as e:
        message = str(e)
        culprits = [layer for layer in built_layers
                    if layer.name in message or type(layer).__name__ in message]
        if len(built_layers) < len(specs):      # a constructor refused its arguments
            culprit_named = specs[len(built_layers)][0] in message
        else:
            culprit_named = bool(culprits)
        assert culprit_named, f"{described}: the error does not name the layer: {message}"
        raw = [c for c in _cause_chain(e) if isinstance(c, (RuntimeError, IndexError, ZeroDivisionError))]
        assert not raw, (f"{described}: the error was a raw {type(raw[0]).__name__} from inside "
                         f"(no check of its own): {message}")
        return "refused"
    except Exception as e:   # anything else is a bug: report it with the stack
        raise AssertionError(f"{described}: construction raised {type(e).__name__}: {e}") from e

    with contextlib.redirect_stdout(io.StringIO()) as out:
        model.summary()
    for layer in model.layers:     # long cells are cut with "…", as in Keras
        shape = format_shape(layer.output.shape)
        assert len(shape) > 20 or shape in out.getvalue(), f"{described}: summary() lacks {shape}"

    real_shape = [BATCH, *(VARIABLE_SIZE if d is None else d for d in input_shape)]
    g = torch.Generator().manual_seed(0)
    if integer:
        x = torch.randint(0, specs[0][1]["input_dim"], real_shape, generator=g)
    else:
        x = torch.randn(real_shape, generator=g)
    model.eval()
    with torch.no_grad():
        for layer in model.layers:
            try:
                x = layer(x)
            except ValueError as e:
                # A variable (None) axis can make a stack impossible only for some lengths (Reshape to a
                # fixed size, a kernel longer than the sequence): then a clean error naming the layer
                # at call time is all that can be asked, as in Keras.
                if None in layer.input.shape[1:] and layer.name in str(e):
                    return "refused at call time"
                raise AssertionError(f"{described}: the model built, but layer '{layer.name}' failed "
                                     f"at forward time: {e}") from e
            except Exception as e:
                raise AssertionError(
                    f"{described}: the model built, but layer '{layer.name}' failed at forward time on "
                    f"input of shape {tuple(layer.input.shape)} (real {tuple(x.shape)}): "
                    f"{type(e).__name__}: {e}") from e
            reported = layer.output.shape
            assert reported[0] is None, f"{described}: {layer.name} reports batch axis {reported[0]}"
            assert _matches(reported, (None, *x.shape[1:])), (
                f"{described}: layer '{layer.name}' reports output shape {reported}, but the forward pass "
                f"gives {tuple(x.shape)}")
        whole = model(torch.randint(0, specs[0][1]["input_dim"], real_shape, generator=g) if integer
                      else torch.randn(real_shape, generator=g))
    assert _matches(model.output_shape, (None, *whole.shape[1:]))
    return "built"


@SETTINGS
@given(stacks())
def test_random_stack_builds_with_exact_shapes_or_fails_cleanly_at_construction(stack):
    kerastorch.utils.clear_session(free_memory=False)
    _check_stack(*stack)


def test_the_generator_produces_both_outcomes():
    """Guards the property above from becoming vacuous: both branches are exercised."""
    outcomes = []

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(stacks())
    def collect(stack):
        kerastorch.utils.clear_session(free_memory=False)
        try:
            outcomes.append(_check_stack(*stack))
        except AssertionError:
            outcomes.append("bug")   # reported by the property test itself

    collect()
    assert outcomes.count("built") >= 10 and outcomes.count("refused") >= 5, outcomes
