"""Progress of long command-line work on stderr: a bar on a terminal, one line per update in logs and CI."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A one-line progress bar on a terminal, one line per update otherwise (logs, CI)."""

    def __init__(self, stream: TextIO = sys.stderr, prefix: str = "") -> None:
        self.stream = stream
        self.prefix = prefix
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()

    def update(self, done: int, total: int, detail: str = "") -> None:
        """Show ``done`` of ``total`` with an optional detail (loss, MSE) and the time left."""
        width = 24
        filled = int(width * done / max(total, 1))
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (total - done) if done else 0.0
        bar = "#" * filled + "." * (width - filled)
        line = f"{self.prefix}[{bar}] {done}/{total} {detail} ({elapsed:.0f}s, ~{left:.0f}s left)"
        if self.tty:
            self.stream.write("\r" + line.ljust(100))
            if done >= total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
