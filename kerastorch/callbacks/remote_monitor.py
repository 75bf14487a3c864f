"""`RemoteMonitor`: posts the epoch logs to a server."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from kerastorch.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Sends the epoch logs to a server with an HTTP POST at the end of every epoch.

    The payload is `{"epoch": epoch, **logs}`: by default JSON-encoded into the form field
    `field` (`application/x-www-form-urlencoded`), or as a JSON body with
    `send_as_json=True`, as Keras does. Uses the standard library (no `requests` needed).
    An unreachable server gives a warning, not an error, so training goes on.

    Args:
        root: Root URL of the server. Defaults to `"http://localhost:9000"`.
        path: Path appended to `root`. Defaults to `"/publish/epoch/end/"`.
        field: Form field holding the JSON payload. Defaults to `"data"`.
        headers: Optional dict of extra HTTP headers. Defaults to `None`.
        send_as_json: Whether to send the payload as the JSON request body
            (`application/json`) instead. Defaults to `False`.

    Example:
    >>> monitor = RemoteMonitor(root="http://localhost:9000")
    >>> # model.fit(x, y, callbacks=[monitor])
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as e:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root} ({e}).", stacklevel=2)
