"""Start the Streamlit server for app.py: ``python -m rnnlab.dashboard.server [streamlit options]``.

app.py declares its pages with ``st.navigation``. Streamlit, seeing a ``pages/`` folder beside app.py, serves
in its legacy folder mode until app.py has run once in the process, so a first visit straight to
``/train`` would show file names in the sidebar and skip app.py's page set-up. Marking the process as a
``st.navigation`` app before the server starts removes that window. ``make run``, the Docker image and the
browser tests all start the server this way.

What every page needs is imported here, before the first visitor: a first import inside a script run holds
the interpreter for seconds, and a room of students arriving together would stall the server with it.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import distributed  # noqa: F401  (preloaded: see the module docstring)
import pandas  # noqa: F401
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

import rnnlab.dashboard.run_view  # noqa: F401
import rnnlab.jobs.manager  # noqa: F401
import rnnlab.figures.all  # noqa: F401
from rnnlab.config import limits

APP = Path(__file__).resolve().parents[2] / "app.py"


def main(argv: list[str] | None = None) -> None:
    """Run ``streamlit run app.py`` in this process with the given extra options. The server refuses uploads
    above ``RNNLAB_MAX_UPLOAD_MB`` (HTTP 413), the limit the CSV reader checks too."""
    PagesManager.uses_pages_directory = False
    # Workers import Keras and its backend as they start: start them now, not at the first Train.
    threading.Thread(target=rnnlab.jobs.manager.get_manager().start, name="rnnlab-cluster-start", daemon=True).start()
    upload = f"--server.maxUploadSize={limits().max_upload_mb}"
    sys.argv = ["streamlit", "run", str(APP), upload, *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
