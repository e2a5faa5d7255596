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
import time
from pathlib import Path

import distributed  # noqa: F401  (preloaded: see the module docstring)
import pandas  # noqa: F401
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

import rnnlab.dashboard.run_view  # noqa: F401
import rnnlab.jobs.manager  # noqa: F401
import rnnlab.figures.inspection  # noqa: F401
import rnnlab.figures.series  # noqa: F401
import rnnlab.figures.sweeps  # noqa: F401
import rnnlab.figures.training  # noqa: F401
from rnnlab.config import limits
from rnnlab.config.limits import StoreSettings
from rnnlab.store import quota
from rnnlab.store.runstore import RunStore


def find_app() -> Path:
    """The app.py to serve: the current directory's (the image's /app, a checkout where ``make run`` starts),
    else the one beside the package (a checkout started from elsewhere). Exits with a message when neither
    exists, as for an installed package run outside the checkout."""
    candidates = [Path.cwd() / "app.py", Path(__file__).resolve().parents[2] / "app.py"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    sys.exit(f"rnnlab: no app.py in {candidates[0].parent} or {candidates[1].parent}; start the server from the "
             "folder that holds app.py and pages/ (the checkout, or /app in the image)")


def _housekeeping() -> None:
    """Tidy the run store at start and every :data:`~rnnlab.store.quota.HOUSEKEEPING_SECONDS`: old unused uploads
    go, and the runs are kept within ``RNNLAB_STORE_MB``."""
    while True:
        quota.housekeeping(RunStore(), StoreSettings.from_env().upload_days)
        time.sleep(quota.HOUSEKEEPING_SECONDS)


def main(argv: list[str] | None = None) -> None:
    """Run ``streamlit run app.py`` in this process with the given extra options. The server refuses uploads
    above ``RNNLAB_MAX_UPLOAD_MB`` (HTTP 413), the limit the CSV reader checks too."""
    app = find_app()
    PagesManager.uses_pages_directory = False
    manager = rnnlab.jobs.manager.get_manager()
    if manager.settings.start_cluster:  # RNNLAB_START_CLUSTER=0: at the first training (it starts lazily)
        # Workers import Keras and its backend as they start: start them now, not at the first Train.
        threading.Thread(target=manager.start, name="rnnlab-cluster-start", daemon=True).start()
    threading.Thread(target=_housekeeping, name="rnnlab-housekeeping", daemon=True).start()
    upload = f"--server.maxUploadSize={limits().max_upload_mb}"
    sys.argv = ["streamlit", "run", str(app), upload, *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
