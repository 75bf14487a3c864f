"""Helpers the tests of the creation/manipulation/indexing/linear part of `kerastorch.ops.numpy` share."""

from tests.ops.harness import check


def check_all(cases):
    """Runs `check` on every case and fails once, listing every case that differs from Keras."""
    failures = []
    for case in cases:
        try:
            check(case)
        except Exception as e:  # noqa: BLE001 - every failure is reported, with its case
            failures.append(f"{case}: {type(e).__name__}: {str(e).strip()[:600]}")
    assert not failures, f"{len(failures)} of {len(cases)} cases differ from Keras:\n" + "\n".join(failures)
