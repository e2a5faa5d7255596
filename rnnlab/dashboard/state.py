"""Session and URL state shared by the pages: who is asking, and which experiment they are looking at.

The experiment lives in ``st.session_state`` (per browser tab) and in the URL's query parameters (so a link
restores it). Everything read from the URL is untrusted: it goes through :func:`rnnlab.config.parse_flat`,
which keeps what is valid and names what it replaced. An uploaded series opens only with its link key (``key=``,
checked by :func:`rnnlab.series.catalog.check_link`): the tab keeps the key it was given (by uploading the file or
by a link) and writes it into the URL with the experiment, so the page's address keeps working after a reload,
in a new tab or on another device.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import streamlit as st

from rnnlab.config import FIELDS, Experiment, clamped_defaults, parse_flat, to_query
from rnnlab.errors import FieldError
from rnnlab.models.registry import REGISTRY
from rnnlab.series import catalog

EXPERIMENT = "_rnnlab_experiment"
URL_SEEN = "_rnnlab_url_seen"
OWNER = "_rnnlab_owner"
PROBLEMS = "_rnnlab_url_problems"
RUNS = "_rnnlab_session_runs"
LINKS = "_rnnlab_links"
MADE_LINKS = "_rnnlab_made_links"
WIDGET_PREFIX = "w_"

#: Query parameters that are not part of the experiment (page options).
PAGE_PARAMS = ("present", "lesson", "all", "grid", "repeats", "sample")
#: The query parameter carrying an uploaded series' link key (written with the experiment, not kept apart from it).
LINK_PARAM = "key"
MAX_PARAMS = 60


def owner() -> str:
    """An id for this browser tab: jobs are counted and cancelled per owner."""
    if OWNER not in st.session_state:
        st.session_state[OWNER] = f"session-{uuid.uuid4().hex[:12]}"
    return st.session_state[OWNER]


def default_experiment() -> Experiment:
    """What a first visit shows: the field table's default model in its book settings (within the limits)."""
    return parse_flat({}).experiment


def _url_experiment_params() -> tuple[dict[str, str], list[str]]:
    """The experiment's parameters in the URL, and problems with the URL itself (duplicates, too many)."""
    problems = []
    params: dict[str, str] = {}
    names = [name for name in st.query_params.keys() if name not in PAGE_PARAMS and name != LINK_PARAM]
    if len(names) > MAX_PARAMS:
        problems.append(f"the link has {len(names)} parameters; only the first {MAX_PARAMS} were read")
        names = names[:MAX_PARAMS]
    for name in names:
        values = st.query_params.get_all(name)
        if len(values) > 1:
            shown = name if len(name) <= 40 else name[:40] + "…"
            problems.append(f"parameter {shown!r} appears {len(values)} times; the last value was used")
        params[name] = values[-1] if values else ""
    return params, problems


def current_experiment() -> Experiment:
    """The experiment this tab is looking at.

    A link (or an edited URL) that names experiment parameters takes precedence; otherwise the session's
    experiment stays (page changes may drop the query string). Problems found in the URL are kept for
    :func:`show_notes`.
    """
    params, problems = _url_experiment_params()
    signature = tuple(sorted(params.items()))
    if params and st.session_state.get(URL_SEEN) != signature:
        parsed = parse_flat(params)
        experiment = parsed.experiment
        data = experiment.series.data
        if catalog.is_upload(data):
            refused = _open_upload(data)
            if refused:
                problems.append(f"{refused}; the generated series was used instead")
                experiment = parse_flat({**params, "data": catalog.GENERATED}).experiment
        st.session_state[PROBLEMS] = problems + parsed.problems
        _set(experiment, reset_widgets=True)
    elif EXPERIMENT not in st.session_state:
        _set(default_experiment(), reset_widgets=True)
    experiment = st.session_state[EXPERIMENT]
    sync_url(experiment)
    return experiment


def _open_upload(data_id: str) -> str | None:
    """Open the uploaded series ``data_id`` with the URL's key, or else the one this tab holds; None when it
    opens (the tab then holds that key), else why not (the message of the URL's key, or of the missing one)."""
    wanted = st.query_params.get_all(LINK_PARAM)
    tried = [wanted[-1] if wanted else None, link_key(data_id)]
    refused = None
    for key in tried:
        try:
            catalog.check_link(data_id, key)
        except FieldError as exc:
            refused = refused or str(exc)
            continue
        hold_link(data_id, key)
        return None
    return refused


def _set(experiment: Experiment, *, reset_widgets: bool) -> None:
    st.session_state[EXPERIMENT] = experiment
    if reset_widgets:
        seed_widgets(experiment, overwrite=True)


def set_experiment(experiment: Experiment) -> None:
    """Make ``experiment`` the tab's experiment and write it to the URL."""
    st.session_state[EXPERIMENT] = experiment
    sync_url(experiment)


def sync_url(experiment: Experiment) -> None:
    """Write the experiment to the query string, with its series' link key when it is an upload (keeping page
    options such as ``present``)."""
    query = to_query(experiment)
    link = link_params(experiment)
    keep = {name: st.query_params.get_all(name)[-1] for name in PAGE_PARAMS if name in st.query_params}
    wanted = {**link, **keep}
    current = {name: st.query_params.get_all(name) for name in st.query_params.keys()}
    if current != {k: [v] for k, v in wanted.items()}:
        st.query_params.from_dict(wanted)
    st.session_state[URL_SEEN] = tuple(sorted(query.items()))


def widget_key(name: str) -> str:
    """The session-state key of field ``name``'s widget."""
    return WIDGET_PREFIX + name


def seed_widgets(experiment: Experiment, *, overwrite: bool = False) -> None:
    """Put the experiment's values into the widgets' session-state keys (widgets of pages not shown are
    forgotten by Streamlit, so every page seeds the ones it draws)."""
    for name, value in experiment.to_flat().items():
        key = widget_key(name)
        if overwrite or key not in st.session_state:
            st.session_state[key] = FIELDS[name].widget_value(value)


def show_notes(experiment: Experiment | None = None) -> None:
    """Say, once per page, what a link contained that could not be used (and what was used instead), and which
    of the book's settings this instance's limits lower (for ``experiment``'s model, or for every model)."""
    problems = st.session_state.pop(PROBLEMS, None)
    if problems:
        items = "\n".join(f"- {p}" for p in problems[:12])
        more = f"\n- … and {len(problems) - 12} more" if len(problems) > 12 else ""
        st.warning(f"Some settings in this link could not be used:\n{items}{more}", icon=":material/warning:")
    if experiment is not None:
        notes = clamped_defaults(experiment.model.entry, experiment.model.mode)
    else:
        notes = list(dict.fromkeys(n for e in REGISTRY.values() for n in clamped_defaults(e, e.book_mode)))
    if notes:
        st.info("This instance's limits lower some of the book's settings:\n" + "\n".join(f"- {n}" for n in notes),
                icon=":material/tune:")


def remember_run(key: str) -> None:
    """Note that this tab trained or looked at run ``key`` (the Compare page lists the session's runs)."""
    runs = st.session_state.setdefault(RUNS, [])
    if key not in runs:
        runs.append(key)


def hold_link(data_id: str, key: str, *, made: bool = False) -> None:
    """Let this tab open the uploaded series ``data_id`` with link key ``key`` (checked by the caller); ``made``
    when this tab made the key (it may then replace it with :func:`renew_link`)."""
    st.session_state.setdefault(LINKS, {})[data_id] = key
    made_here = st.session_state.setdefault(MADE_LINKS, [])
    if made and data_id not in made_here:
        made_here.append(data_id)


def link_key(data_id: str) -> str | None:
    """The link key this tab holds for the uploaded series ``data_id``, if any."""
    return st.session_state.get(LINKS, {}).get(data_id)


def made_link(data_id: str) -> bool:
    """True when this tab made the link key it holds for ``data_id`` (by uploading the file)."""
    return data_id in st.session_state.get(MADE_LINKS, [])


def open_own_upload(data_id: str) -> str:
    """This tab uploaded ``data_id``: the link key it made for it before (while it works), else a new one of its
    own (a key it was given by someone else's link stays theirs to replace)."""
    key = link_key(data_id)
    if made_link(data_id):
        try:
            catalog.check_link(data_id, key)
            return key
        except FieldError:
            pass  # replaced in another of its tabs: make another
    key = catalog.new_link(data_id)
    hold_link(data_id, key, made=True)
    return key


def renew_link(data_id: str) -> str:
    """Replace the link key this tab made for ``data_id`` with a new one: the old link stops working, for
    everyone who has it."""
    old = link_key(data_id)
    key = catalog.new_link(data_id)
    if old:
        catalog.drop_link(data_id, old)
    hold_link(data_id, key, made=True)
    return key


def link_params(experiment: Experiment) -> dict[str, str]:
    """The query parameters of a link to ``experiment``: its settings, and its series' link key when the series
    is an upload this tab holds one for."""
    query = to_query(experiment)
    key = link_key(experiment.series.data) if catalog.is_upload(experiment.series.data) else None
    return {**query, LINK_PARAM: key} if key else query


def share_url(experiment: Experiment, page: str, here: str) -> str:
    """The full address of ``page`` (its URL path, e.g. ``train``) showing ``experiment``, seen from the page whose
    URL path is ``here``: the browser's own address of the app, so it works behind a proxy or a base path
    (a path from the server's root when the browser has not said it, as in tests)."""
    base = (st.context.url or "").rstrip("/").removesuffix("/" + here)
    return f"{base}/{page}?{urlencode(link_params(experiment))}"


def session_runs() -> list[str]:
    """Keys of the runs this tab trained or opened, oldest first."""
    return list(st.session_state.get(RUNS, []))
