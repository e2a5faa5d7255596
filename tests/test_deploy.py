"""The Docker image, the compose deployment and the server's configuration, checked without a Docker engine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from helpers import ROOT, free_port, wait_healthy

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


def test_dependencies_are_installed_before_the_source_is_copied():
    steps = instructions()
    copy_reqs = steps.index(("COPY", "requirements.txt ./"))
    install = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "-r requirements.txt" in a)
    copy_all = next(i for i, (w, a) in enumerate(steps) if w == "COPY" and a.endswith(". ."))
    assert copy_reqs < install < copy_all


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
        proc.terminate()
        proc.wait(20)


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
