"""`kerastorch.layers.serialize` / `deserialize`: a layer to Keras' serialized dict and back."""


def serialize(layer):
    """Returns a layer's Keras serialization: `{"module", "class_name", "config", "registered_name", ...}`.

    The same dict Keras 3's `keras.layers.serialize` returns, so it can be handed to real
    Keras' `keras.layers.deserialize` and the other way round.

    Args:
        layer: A kerastorch layer (or any object `kerastorch.saving.serialize_keras_object` takes).

    Returns:
        A JSON-able dict.

    Example:
    >>> from kerastorch import layers
    >>> config = layers.serialize(layers.Dense(2, name="d"))
    >>> config["class_name"], config["config"]["units"]
    ('Dense', 2)
    """
    from kerastorch.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Creates a layer from its Keras serialization (the inverse of `serialize`).

    Args:
        config: A dict `{"class_name", "config", ...}` as `serialize` (or Keras) writes it.
        custom_objects: Optional dict of name -> class or function for custom layers.
            Defaults to `None`.

    Returns:
        The layer.

    Raises:
        ValueError: for an unknown class name (the closest known ones are listed).

    Example:
    >>> from kerastorch import layers
    >>> layer = layers.deserialize({"class_name": "Dense", "config": {"units": 3}})
    >>> type(layer).__name__, layer.units
    ('Dense', 3)
    """
    from kerastorch.saving.serialization import deserialize_layer

    if not isinstance(config, dict):
        raise TypeError(f"layers.deserialize: `config` must be a dict such as layers.serialize() returns, "
                        f"got {type(config).__name__} {config!r:.80}.")
    return deserialize_layer(config, custom_objects=custom_objects)
