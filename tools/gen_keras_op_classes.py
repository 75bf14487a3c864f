"""Writes `kerastorch/ops/_keras_classes.py`: for each `keras.ops` function, the Keras `Operation`
class that records it in a Functional graph, and how the function's arguments split between that
class's constructor (its config) and its call (the node's arguments).

Run with real Keras installed (`KERAS_BACKEND=torch python tools/gen_keras_op_classes.py`). It reads
the facts from Keras' source: each exported op function's `Cls(...).symbolic_call(...)` line, and
the signature of `Cls.__init__` for defaults. Nothing of Keras' code is copied.
"""

import ast
import importlib
import inspect
import os
import pprint

from keras.src import ops as keras_ops

MODULES = ["numpy", "nn", "math", "linalg", "image", "core", "einops"]
OUT = os.path.join(os.path.dirname(__file__), "..", "kerastorch", "ops", "_keras_classes.py")


def _exports(func):
    names = []
    for dec in func.decorator_list:
        if isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "keras_export":
            for arg in dec.args:
                items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
                names += [item.value for item in items if isinstance(item, ast.Constant)]
    return [n[len("keras.ops."):].split(".")[-1] for n in names if n.startswith("keras.ops.")]


def _literal(value):
    try:
        ast.literal_eval(repr(value))
        return value
    except (ValueError, SyntaxError):
        return None


def _is_operation(pymod, name):
    from keras.src.ops.operation import Operation

    obj = getattr(pymod, name, None)
    return inspect.isclass(obj) and issubclass(obj, Operation)


def _delegate(func, params):
    """`(function, {its parameter: our parameter})` when `func` only returns another op's call."""
    body = [n for n in func.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or not isinstance(body[0].value, ast.Call):
        return None
    call = body[0].value
    if not isinstance(call.func, ast.Name):
        return None
    renames = {}
    for arg in call.args:
        if not (isinstance(arg, ast.Name) and arg.id in params):
            return None
        renames.setdefault("#positional", []).append(arg.id)
    for kw in call.keywords:
        if not (isinstance(kw.value, ast.Name) and kw.value.id in params):
            return None
        renames[kw.arg] = kw.value.id
    return call.func.id, renames


def main():
    table, entries, delegations = {}, {}, {}
    for module in MODULES:
        path = os.path.join(os.path.dirname(keras_ops.__file__), module + ".py")
        tree = ast.parse(open(path).read())
        pymod = importlib.import_module(f"keras.src.ops.{module}")
        for func in tree.body:
            if not isinstance(func, ast.FunctionDef) or not _exports(func):
                continue
            params = [a.arg for a in func.args.args + func.args.kwonlyargs]
            if func.args.vararg:
                params.append(func.args.vararg.arg)
            if func.args.kwarg:
                params.append(func.args.kwarg.arg)
            # `Cls(...).symbolic_call(...)`, or `Cls(...)(...)` (Operation.__call__, symbolic on KerasTensors).
            calls = [c for c in ast.walk(func) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                     and c.func.attr == "symbolic_call" and isinstance(c.func.value, ast.Call)
                     and isinstance(c.func.value.func, ast.Name)]
            calls += [c for c in ast.walk(func) if isinstance(c, ast.Call) and isinstance(c.func, ast.Call)
                      and isinstance(c.func.func, ast.Name) and _is_operation(pymod, c.func.func.id)]
            if not calls:
                delegate = _delegate(func, params)
                if delegate is not None:
                    delegations[(module, func.name)] = delegate
                continue
            ctor = calls[0].func.value if isinstance(calls[0].func, ast.Attribute) else calls[0].func
            cls = getattr(pymod, ctor.func.id)
            init_params = [p for p in inspect.signature(cls.__init__).parameters.values()
                           if p.name not in ("self", "name")]

            def ref(expr):
                if isinstance(expr, ast.Name) and expr.id in params:
                    return expr.id
                return None

            passed = {}
            positional = [p.name for p in init_params if p.kind is not p.VAR_KEYWORD]
            for i, arg in enumerate(ctor.args):
                passed[positional[i]] = ref(arg)
            for kw in ctor.keywords:
                passed[kw.arg if kw.arg is not None else "**"] = ref(kw.value)
            init = []
            for p in init_params:
                if p.kind is p.VAR_KEYWORD:
                    if "**" in passed:
                        init.append(("**", passed["**"], None))
                    continue
                default = None if p.default is p.empty else _literal(p.default)
                init.append((p.name, passed.get(p.name), default))
            args, kwargs = [], []
            for arg in calls[0].args:
                if isinstance(arg, ast.Starred):
                    args.append("*" + arg.value.id)
                else:
                    args.append(ref(arg))
            for kw in calls[0].keywords:
                kwargs.append((kw.arg or "**", ref(kw.value)))
            entry = (module, cls.__name__, tuple(init), tuple(args), tuple(kwargs))
            entries[(module, func.name)] = (entry, params)
            for name in _exports(func):
                table.setdefault(name, entry)
    # `def abs(x): return absolute(x)`: the op Keras records is the one delegated to.
    for (module, fn_name), (target, renames) in delegations.items():
        if (module, target) not in entries:
            continue
        (mod, cls_name, init, args, kwargs), target_params = entries[(module, target)]
        ours = dict(zip(target_params, renames.pop("#positional", [])))
        ours.update(renames)        # target parameter -> this function's parameter

        def rename(a):
            if a is None:
                return None
            return "*" + ours.get(a[1:], a[1:]) if a.startswith("*") else ours.get(a, a)

        new_entry = (mod, cls_name, tuple((c, rename(a), d) for c, a, d in init),
                     tuple(rename(a) for a in args), tuple((k, rename(a)) for k, a in kwargs))
        table.setdefault(fn_name, new_entry)
    header = '"""Generated by tools/gen_keras_op_classes.py from Keras 3.15.1: do not edit by hand.\n\n' \
             "For each `keras.ops` function: `(module, class, init, args, kwargs)`, where `module` is the\n" \
             "`keras.src.ops.<module>` that defines `class`, the `Operation` Keras records in a Functional\n" \
             "graph; `init` lists the class's constructor parameters as `(parameter, function argument or\n" \
             "None, default)` (its config); `args` the function arguments its call takes positionally\n" \
             "(`*name` spreads a tuple) and `kwargs` those it takes by keyword (`**` spreads a dict).\n" \
             '"""\n\n'
    with open(OUT, "w") as f:
        f.write(header + "OPS = " + pprint.pformat(table, width=110, sort_dicts=True) + "\n")
    print(f"{len(table)} ops written to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
