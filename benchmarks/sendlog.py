"""Serve rnnlab noting when the server sends each session its result: ``benchmarks.load --watch`` starts the server
through this module (``python -m benchmarks.sendlog [streamlit options]``) to time the server's part apart from
the browsers' (which share the server's cores in the benchmark, unlike a class's laptops).

Streamlit hands every message for a browser to Starlette's ``WebSocket.send_bytes`` (its public API): the first
message on each connection that holds the result ("Trained in ... s") is noted, one JSON line per connection
(``{"at": wall-clock seconds, "socket": id}``), in the file named by ``RNNLAB_BENCH_SENT_LOG``. The app is not
changed; only this benchmark's server process wraps the method.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time

RESULT_BYTES = re.compile(rb"Trained in [\d.]+ s")


def install(path: str) -> None:
    """Wrap ``WebSocket.send_bytes`` to note, in ``path``, when each connection is first sent the result."""
    from starlette.websockets import WebSocket

    original = WebSocket.send_bytes
    noted: set[int] = set()
    lock = threading.Lock()

    async def send_bytes(self, data: bytes) -> None:
        await original(self, data)
        if id(self) not in noted and RESULT_BYTES.search(data):
            at = time.time()  # the message is in the socket: what is left is the network and the browser
            with lock:
                noted.add(id(self))
                with open(path, "a", encoding="utf-8") as log:
                    log.write(json.dumps({"at": at, "socket": id(self)}) + "\n")

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
