"""`Config`: Keras' dict-like container with attribute access, freezing and JSON."""

import copy
import difflib
import json


class Config:
    """A dict-like container of named values, read and set as attributes or items.

    Args:
        **kwargs: The initial entries.

    Example:
    >>> config = Config(learning_rate=0.1)
    >>> config.momentum = 0.9
    >>> config["seed"] = 1
    >>> config.learning_rate, config["momentum"], sorted(config)
    (0.1, 0.9, ['learning_rate', 'momentum', 'seed'])
    >>> config.freeze()
    >>> config.seed = 2
    Traceback (most recent call last):
    ...
    ValueError: Cannot mutate attribute(s) because the config is frozen.
    """

    __attrs__ = None

    def __init__(self, **kwargs):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))   # from here on, unknown attributes are entries

    @property
    def frozen(self):
        """Whether the config is frozen (no more changes)."""
        return self._frozen

    def freeze(self):
        """Freezes the config: setting, updating or deleting an entry raises `ValueError`."""
        self._frozen = True

    def unfreeze(self):
        """Allows changes again."""
        self._frozen = False

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        """A shallow copy of the entries as a dict."""
        return copy.copy(self._config)

    def to_json(self):
        """The entries as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        """The entry names."""
        return self._config.keys()

    def values(self):
        """The entry values."""
        return self._config.values()

    def items(self):
        """The `(name, value)` pairs."""
        return self._config.items()

    def pop(self, *args):
        """Removes an entry and returns it (as `dict.pop`)."""
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        """Adds or replaces entries (as `dict.update`)."""
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        """The entry `keyname`, or `value` if there is none."""
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__getattribute__(self, name)
        if name in self._config:
            return self._config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, self._config.keys(), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __repr__(self):
        return f"<Config {self._config}>"

    def __iter__(self):
        return iter(sorted(self._config.keys()))

    def __len__(self):
        return len(self._config)

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config
