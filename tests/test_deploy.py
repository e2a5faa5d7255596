"""The Docker image, the compose deployment and the server's configuration, checked without a Docker engine."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from helpers import ROOT, child_env, free_port, stop, wait_healthy

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_passes():
    hadolint = Path(sys.executable).with_name("hadolint")
    proc = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_base_image_is_pinned_to_the_python_line_we_test_on():
    """The image pins an exact Python release of the line the suite runs on (3.11 here, whatever the patch
    release of this machine: Debian's is 3.11.2)."""
    base = dict(instructions())["FROM"]
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-bookworm", base)
    assert match, base
    assert tuple(map(int, match.groups()[:2])) == sys.version_info[:2]


def test_runs_as_non_root_with_a_health_check():
    steps = instructions()
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [args for word, args in steps if word == "HEALTHCHECK"]
    assert len(health) == 1 and "/_stcore/health" in health[0]
    assert ("EXPOSE", "8501") in steps


def _copies() -> list[tuple[int, list[str]]]:
    """(step index, source paths) of every COPY of the Dockerfile."""
    return [(i, args.split()[:-1]) for i, (word, args) in enumerate(instructions()) if word == "COPY"]


def test_dependencies_then_the_package_then_warming_then_the_app():
    """Each layer is rebuilt only when what it copies changes: the pinned requirements, then the package that
    ``warm`` needs, then the app and its pages after warming, so editing a page or the docs retrains nothing."""
    steps = instructions()
    copy_reqs = steps.index(("COPY", "requirements.txt ./"))
    install_reqs = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "-r requirements.txt" in a)
    copy_package = next(i for i, sources in _copies() if "rnnlab" in sources)
    install_package = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "pip install" in a
                           and "-r " not in a)
    warm = steps.index(("RUN", "python -m rnnlab warm"))
    copy_app = [i for i, sources in _copies() if {"app.py", "pages", ".streamlit"} & set(sources)]
    assert copy_reqs < install_reqs < copy_package < install_package < warm < min(copy_app)
    assert len(copy_app) == 3
    before_warm = {source for i, sources in _copies() if i < warm for source in sources}
    assert before_warm == {"requirements.txt", "pyproject.toml", "rnnlab"}
    assert "PYTHONPATH" not in dict(steps)["ENV"]  # the package is installed


def test_the_apps_code_is_read_only_to_the_runtime_user():
    """COPY gives root the files whatever USER says; nothing but /data is handed to the runtime user."""
    steps = instructions()
    assert not any("--chown" in args or "--chmod" in args for word, args in steps if word == "COPY")
    chowns = [args for word, args in steps if word == "RUN" and "chown" in args]
    assert len(chowns) == 1 and re.search(r"chown rnnlab:rnnlab /data$", chowns[0])
    user = next(i for i, (word, _) in enumerate(steps) if word == "USER")
    assert not any(word == "RUN" and "pip install" in args for word, args in steps[user:])


def test_store_on_a_volume_and_lessons_warmed_at_build_time():
    steps = instructions()
    assert "RNNLAB_HOME=/data" in dict(steps)["ENV"].replace(" ", "")
    volume = steps.index(("VOLUME", '["/data"]'))
    warm = steps.index(("RUN", "python -m rnnlab warm"))
    assert warm < volume  # the warmed runs are in the image and seed the named volume
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "test-artifacts"} <= set(ignored)


def _cmd(instruction: str) -> list[str]:
    args = dict(instructions())[instruction]
    return json.loads(args[args.index("["):])


def test_the_images_command_line_becomes_healthy(tmp_path):
    cmd = _cmd("CMD")
    assert cmd[0] == "python"
    env = dict(os.environ)
    for word, args in instructions():
        if word == "ENV":
            for name, value in re.findall(r"(\w+)=(\S+)", args):
                env[name] = value
    # The checkout on the path stands for the package the image installs.
    env.update(PYTHONPATH=str(ROOT), RNNLAB_HOME=str(tmp_path / "data"), RNNLAB_WORKERS="1")
    assert "--server.port=8501" in cmd
    port = free_port()  # the image's command, on a port that is free here
    cmd = [sys.executable] + [a.replace("--server.port=8501", f"--server.port={port}") for a in cmd[1:]]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc=proc)
        health = _cmd("HEALTHCHECK")
        probe = [sys.executable] + [a.replace(":8501/", f":{port}/") for a in health[1:]]
        assert subprocess.run(probe, timeout=10).returncode == 0
    finally:
        stop(proc)


def test_compose_file_structure():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"app", "scheduler", "worker"}
    images = {svc.get("image") for svc in services.values()}
    assert images == {"rnnlab:latest"} and "build" in services["scheduler"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["worker"]["command"][:3] == ["dask", "worker", "tcp://scheduler:8786"]
    assert services["scheduler"]["command"][:2] == ["dask", "scheduler"]
    app = services["app"]
    assert app["environment"]["RNNLAB_SCHEDULER"] == "tcp://scheduler:8786"
    assert "8501:8501" in app["ports"]
    volume, mount = app["volumes"][0].split(":")
    assert volume in compose["volumes"] and mount == app["environment"]["RNNLAB_HOME"]
    for svc in services.values():
        for dep in svc.get("depends_on", {}):
            assert dep in services


def test_compose_workers_have_a_memory_limit_and_only_worker_options():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker = services["worker"]
    assert re.fullmatch(r"\d+[mg]", str(worker["deploy"]["resources"]["limits"]["memory"]))
    assert "--preload" in worker["command"] and "rnnlab.training.warmup" in worker["command"]
    for name, service in services.items():
        scheduler_options = [var for var in service.get("environment", {}) if "__SCHEDULER__" in var]
        assert scheduler_options == (["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] if name == "scheduler"
                                     else [])


def test_streamlit_config_is_hardened():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableStaticServing"] is False
    assert "maxUploadSize" not in config["server"]  # from RNNLAB_MAX_UPLOAD_MB, set by rnnlab.dashboard.server
    # A full gc.collect() after every script run stalled the health check for seconds under load.
    assert config["runner"]["postScriptGC"] is False


def test_requirements_are_pinned():
    pins = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                assert "==" in line, f"{name}: {line} is not pinned exactly"
                package, version = line.split("==")
                pins[package.lower()] = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    assert pins["streamlit"][:2] == (1, 67) and pins["starlette"] >= (1, 0, 1)
    assert {"tensorflow", "keras", "numpy", "pandas", "plotly", "dask", "distributed", "pytest"} <= set(pins)


def _dockerignore_regex(pattern: str) -> re.Pattern:
    """Docker's reading of one .dockerignore pattern: ``**`` spans folders, ``*`` and ``?`` stay within one."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return re.compile(out)


def in_build_context(path: str) -> bool:
    """Whether Docker sends ``path`` (relative, with /) to the builder: the last .dockerignore pattern that
    matches the path or one of its parent folders decides, ``!`` sending it after all."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, _dockerignore_regex(line.lstrip("!").strip("/"))))
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    sent = True
    for negated, regex in rules:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            sent = negated
    return sent


def _tree() -> list[str]:
    """Every file of the checkout but those of the two big folders the context test checks on their own."""
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        if Path(folder) == ROOT:
            subfolders[:] = [name for name in subfolders if name not in (".git", ".venv")]
        files += [(Path(folder) / name).relative_to(ROOT).as_posix() for name in names]
    return files


def test_the_build_context_holds_what_the_image_copies_and_no_tests_or_docs():
    assert not any(in_build_context(folder) for folder in (".git", ".venv", "tests", "docs", "benchmarks",
                                                           "scripts", ".ci", "test-artifacts"))
    assert not in_build_context("README.md") and not in_build_context("rnnlab/__pycache__/env.cpython-311.pyc")
    sent = [path for path in _tree() if in_build_context(path)]
    assert not [path for path in sent if path.split("/")[0] in ("tests", "docs", "benchmarks", "scripts")]
    assert [path for path in sent if path.endswith(".md")] == ["rnnlab/datasets/SOURCES.md"]
    copied = {source for _, sources in _copies() for source in sources}
    needed = [path for path in _tree() if path.split("/")[0] in copied and "__pycache__" not in path]
    assert len(needed) > 50 and [path for path in needed if not in_build_context(path)] == []


def _package_files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in (root / "rnnlab").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from what the image copies (pyproject.toml, requirements.txt, rnnlab/), installed into a
    folder of its own: the dependencies are .venv's, the build backend too (no download)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "rnnlab", source / "rnnlab", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(source)],
                   check=True, capture_output=True, cwd=work, timeout=120)
    wheel = next((work / "dist").glob("rnnlab-*.whl"))
    target = work / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-compile", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, cwd=work, timeout=120)
    return target


def test_the_wheel_holds_every_module_and_data_file_and_the_pinned_requirements(installed):
    assert _package_files(installed) == _package_files(ROOT)
    metadata = next(installed.glob("rnnlab-*.dist-info")) / "METADATA"
    requires = [line.split(":", 1)[1].strip() for line in metadata.read_text().splitlines()
                if line.startswith("Requires-Dist:")]
    pins = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert requires == pins


def test_the_installed_rnnlab_command_runs_outside_the_checkout(installed, tmp_path):
    env = child_env(PYTHONPATH=str(installed), RNNLAB_HOME=str(tmp_path / "home"))
    proc = subprocess.run([str(installed / "bin" / "rnnlab"), "list"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "lstm" in proc.stdout
    where = subprocess.run([sys.executable, "-c", "import rnnlab; print(rnnlab.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(installed)


def test_the_installed_server_serves_the_app_py_of_the_current_folder(installed, tmp_path):
    """The image and ``make run`` start the server from the folder holding app.py; the installed package has
    none beside it, so elsewhere the server says where it looked."""
    (tmp_path / "app.py").write_text("")
    (tmp_path / "elsewhere").mkdir()
    probe = ("import os; from rnnlab.dashboard.server import find_app; print(find_app()); "
             "os.chdir('elsewhere'); find_app()")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=child_env(PYTHONPATH=str(installed), RNNLAB_HOME=str(tmp_path / "home")))
    assert proc.stdout.strip() == str(tmp_path / "app.py")
    assert proc.returncode == 1 and "no app.py in" in proc.stderr and "start the server from" in proc.stderr
