"""Serve rnnlab noting when the server sends each session its result: ``benchmarks.load --watch`` starts the server
through this module (``python -m benchmarks.sendlog [streamlit options]``) to time the server's part apart from
the browsers' (which share the server's cores in the benchmark, unlike a class's laptops).

Streamlit hands every message for a browser to Starlette's ``WebSocket.send_bytes`` (its public API): the first
message on each connection that holds the result (:data:`benchmarks.load.RESULT_BYTES`) is noted, one JSON line per
connection (``{"at": wall-clock seconds}``), in the file named by ``RNNLAB_BENCH_SENT_LOG``. The app is not
changed; only this benchmark's server process wraps the method.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from benchmarks.load import RESULT_BYTES

#: Set on a connection once it has been sent the result (on the connection itself: an id() is reused once a
#: closed connection is collected, and Starlette's WebSocket, a Mapping, cannot go into a set).
NOTED = "_rnnlab_result_sent"


def install(path: str) -> None:
    """Wrap ``WebSocket.send_bytes`` to note, in ``path``, when each connection is first sent the result."""
    from starlette.websockets import WebSocket

    original = WebSocket.send_bytes
    lock = threading.Lock()

    async def send_bytes(self, data: bytes) -> None:
        await original(self, data)
        if not getattr(self, NOTED, False) and RESULT_BYTES.search(data):
            at = time.time()  # the message is in the socket: what is left is the network and the browser
            setattr(self, NOTED, True)
            with lock, open(path, "a", encoding="utf-8") as log:
                log.write(json.dumps({"at": at}) + "\n")

    WebSocket.send_bytes = send_bytes


def read(path: str) -> list[float]:
    """The noted moments (wall-clock seconds), in order; none when the file does not exist."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as log:
        return sorted(json.loads(line)["at"] for line in log if line.strip())


if __name__ == "__main__":
    install(os.environ["RNNLAB_BENCH_SENT_LOG"])
    from rnnlab.dashboard.server import main

    main(sys.argv[1:])
