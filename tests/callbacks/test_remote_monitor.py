import http.server
import json
import threading
import urllib.parse

import pytest

from kerastorch import callbacks


@pytest.fixture
def server():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", received
    httpd.shutdown()
    httpd.server_close()


def test_posts_form_field_with_json(server):
    root, received = server
    cb = callbacks.RemoteMonitor(root=root, headers={"X-Run": "7"})
    cb.on_epoch_end(3, {"loss": 0.5, "val_loss": 0.75})
    path, headers, body = received[0]
    assert path == "/publish/epoch/end/" and headers["X-Run"] == "7"
    form = urllib.parse.parse_qs(body.decode())
    assert json.loads(form["data"][0]) == {"epoch": 3, "loss": 0.5, "val_loss": 0.75}


def test_send_as_json(server):
    root, received = server
    cb = callbacks.RemoteMonitor(root=root, path="/p", send_as_json=True)
    cb.on_epoch_end(0, {"loss": 1.0})
    path, headers, body = received[0]
    assert path == "/p" and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"epoch": 0, "loss": 1.0}


def test_unreachable_server_warns():
    cb = callbacks.RemoteMonitor(root="http://127.0.0.1:1")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://127.0.0.1:1"):
        cb.on_epoch_end(0, {"loss": 1.0})
