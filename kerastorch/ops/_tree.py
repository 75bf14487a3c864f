"""Nested structures (lists, tuples, namedtuples, dicts of tensors) flattened and rebuilt.

The control-flow ops (`scan`, `map`, `associative_scan`, `while_loop`) take and return nested
structures, as Keras' do. A *leaf* is anything that is not a list, tuple or dict (`None` included);
dicts are walked in sorted-key order, as `keras.tree` walks them.

Example:
>>> flat = flatten({"b": [1, 2], "a": (3,)})
>>> flat
[3, 1, 2]
>>> pack_sequence_as({"b": [0, 0], "a": (0,)}, [30, 10, 20])
{'b': [10, 20], 'a': (30,)}
"""


def is_nested(x):
    """Whether `x` is a list, tuple or dict (a structure, not a leaf)."""
    return isinstance(x, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten(x):
    """The leaves of `x`, depth first (dict values in sorted-key order)."""
    if not is_nested(x):
        return [x]
    out = []
    stack = [x]
    while stack:             # iterative, so deep structures do not hit the recursion limit
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def _rebuild(structure, items):
    if isinstance(structure, dict):
        values = dict(zip(sorted(structure), items))
        return type(structure)((k, values[k]) for k in structure)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):     # namedtuple
        return type(structure)(*items)
    return type(structure)(items)


def pack_sequence_as(structure, flat):
    """Rebuilds `structure` with its leaves replaced, in order, by the items of `flat`."""
    flat = list(flat)
    expected = len(flatten(structure))
    if len(flat) != expected:
        raise ValueError(f"pack_sequence_as: the structure has {expected} leaves but {len(flat)} "
                         "values were given.")
    position = 0

    def build(s):
        nonlocal position
        if not is_nested(s):
            position += 1
            return flat[position - 1]
        return _rebuild(s, [build(c) for c in _children(s)])

    return build(structure)


def assert_same_structure(a, b, what="structures"):
    """Raises a `ValueError` when `a` and `b` do not nest the same way."""
    if is_nested(a) != is_nested(b):
        raise ValueError(f"The {what} differ: {_sketch(a)} vs {_sketch(b)}.")
    if is_nested(a):
        if isinstance(a, dict) != isinstance(b, dict) or len(a) != len(b) or (
                isinstance(a, dict) and sorted(a) != sorted(b)):
            raise ValueError(f"The {what} differ: {_sketch(a)} vs {_sketch(b)}.")
        for x, y in zip(_children(a), _children(b)):
            assert_same_structure(x, y, what)


def _sketch(x):
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_sketch(x[k])}" for k in sorted(x)) + "}"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_sketch(c) for c in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
    return "*"


def map_structure(fn, *structures):
    """Applies `fn` to the leaves of `structures` (all nested alike), keeping the first's shape."""
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(first, [fn(*leaves) for leaves in zip(*flats)])
