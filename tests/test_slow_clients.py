"""Half-sent requests held open by a client are dropped after --client-timeout; the server keeps answering others."""

import socket
import time
import urllib.request
import uuid

import pytest

from .server_process import running_server

HALF_OPEN = 300
DEADLINE = 60.0


def connect(host: str, port: int) -> socket.socket:
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    return s


def closed_by_server(s: socket.socket) -> bool:
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True  # orderly close, after a 408 or without a word
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.mark.slow
def test_half_sent_heads_and_bodies_are_dropped_and_others_still_served(root):
    with running_server(root, "--client-timeout", "1") as (url, process, _):
        host, port = url.split("//", 1)[1].split(":")
        port = int(port)
        held = []
        for i in range(HALF_OPEN):
            s = connect(host, port)
            if i % 2:
                s.send(b"GET /grid_pool/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # head never finished
            else:
                s.send(b"POST /grid_pool/label HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 400\r\n\r\n{\"pool_id\": ")  # body never finished
            held.append(s)

        with urllib.request.urlopen(f"{url}/grid_pool/list?pool_id={uuid.uuid4()}", timeout=30) as response:
            assert response.status == 200, "the server answers while the slow clients hang"

        deadline = time.monotonic() + DEADLINE
        open_ones = list(held)
        while open_ones and time.monotonic() < deadline:
            open_ones = [s for s in open_ones if not closed_by_server(s)]
            time.sleep(0.05)
        assert not open_ones, f"{len(open_ones)} of {HALF_OPEN} half-sent requests still open after {DEADLINE:g} s"
        for s in held:
            s.close()
        assert process.poll() is None
