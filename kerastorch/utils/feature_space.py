"""`FeatureSpace`: Keras' structured-data preprocessor, which is built on TensorFlow; refused here."""


class FeatureSpace:
    """Keras' one-stop preprocessing of structured (tabular) features: not available on torch.

    Keras' `FeatureSpace` adapts `StringLookup`, `IntegerLookup`, `Hashing`, `Discretization`
    and `Normalization` layers on a `tf.data.Dataset` and runs them through TensorFlow, even on
    Keras' torch backend; kerastorch does not use TensorFlow, so constructing one raises.

    Instead, encode the columns with numpy, pandas or scikit-learn (e.g. `OneHotEncoder`,
    `StandardScaler` in a `ColumnTransformer`), then `fit` on the resulting arrays; or use
    `layers.Normalization` for numeric columns and `utils.to_categorical` for integer categories.

    Raises:
        NotImplementedError: always, with the alternatives above.

    Example:
    >>> FeatureSpace(features={"age": "float"})
    Traceback (most recent call last):
    ...
    NotImplementedError: FeatureSpace needs TensorFlow ...
    """

    _MESSAGE = ("FeatureSpace needs TensorFlow (Keras adapts its lookup, hashing and discretization layers on a "
                "tf.data.Dataset), which kerastorch does not use. Encode the columns with numpy, pandas or "
                "scikit-learn (OneHotEncoder, StandardScaler in a ColumnTransformer) and fit on the arrays; "
                "layers.Normalization and utils.to_categorical cover numeric and integer-category columns.")

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(self._MESSAGE)

    @classmethod
    def _refuse(cls, *args, **kwargs):
        raise NotImplementedError(cls._MESSAGE)

    # Keras' feature constructors (FeatureSpace.float(), .string_categorical(), ...) raise the same way.
    cross = feature = float = float_discretized = float_normalized = float_rescaled = _refuse
    integer_categorical = integer_hashed = string_categorical = string_hashed = _refuse
