"""`keras.optimizers.legacy`: Keras 2's optimizers, which Keras 3 (and kerastorch) do not have.

As in Keras 3, the six names here are one placeholder class whose construction raises
`ImportError`, so code written for `tf.keras.optimizers.legacy` fails with an explanation.
"""


class LegacyOptimizerWarning:
    """A Keras 2 legacy optimizer: constructing it raises `ImportError`, as in Keras 3.

    Raises:
        ImportError: always; use the optimizer of the same name in `kerastorch.optimizers`.

    Example:
    >>> Adam(learning_rate=0.1)
    Traceback (most recent call last):
    ...
    ImportError: `keras.optimizers.legacy` is not supported in Keras 3, nor in kerastorch. Use the Keras 3 optimizer of the same name in kerastorch.optimizers instead (e.g. kerastorch.optimizers.Adam); Keras 2's `decay` argument is gone: use a learning-rate schedule.
    """

    def __init__(self, *args, **kwargs):
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3, nor in kerastorch. Use the Keras 3 "
            "optimizer of the same name in kerastorch.optimizers instead (e.g. "
            "kerastorch.optimizers.Adam); Keras 2's `decay` argument is gone: use a learning-rate "
            "schedule."
        )


# Keras exports the one class under the six names.
Adagrad = Adam = Ftrl = Optimizer = RMSprop = SGD = LegacyOptimizerWarning

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]
