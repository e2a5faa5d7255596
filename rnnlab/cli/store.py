"""``python -m rnnlab store``: what the instance keeps on disk, and the operator's hands on it.

- ``store`` (or ``store usage``): bytes by kind (runs, uploaded series, JAX's compilation cache, damaged runs)
  against the quotas;
- ``store list``: the runs, least recently used first (the next to be evicted), with their size and pins;
- ``store verify``: every run checked against its checksums; exit status 1 when one is damaged;
- ``store prune``: evict the least recently used unprotected runs down to ``--to-mb`` (default: the quota), remove
  the uploaded series no run used for ``RNNLAB_UPLOAD_DAYS`` days, and the calibration trainings an older
  rnnlab stored as runs;
- ``store pin KEY...`` / ``store unpin KEY...``: keep runs whatever their age (a 12-character prefix will do).
"""

from __future__ import annotations

import argparse
import time
from typing import Any, TextIO

from rnnlab.cli.options import CliError, write_json
from rnnlab.config.limits import StoreSettings
from rnnlab.store import quota
from rnnlab.store.runstore import RunStore


def _mb(size: int) -> str:
    return f"{size / quota.MB:,.1f} MB" if size >= quota.MB // 10 else f"{size / 1024:,.1f} kB"


def _keys(store: RunStore, given: list[str]) -> list[str]:
    """Full run keys for ``given`` keys or unique prefixes of stored runs (CliError otherwise)."""
    stored = list(store.keys())
    out = []
    for raw in given:
        raw = raw.strip().lower()
        try:
            store.path(raw)  # a whole key: taken as is (a pin may come before its run)
            out.append(raw)
            continue
        except ValueError:
            pass
        matches = [k for k in stored if k.startswith(raw)] if len(raw) >= 6 else []
        if len(matches) != 1:
            why = "no stored run" if not matches else f"{len(matches)} stored runs"
            raise CliError(f"{raw!r}: {why} start with it; give a run's key or at least 6 of its first characters "
                           "(see `python -m rnnlab store list`)")
        out.append(matches[0])
    return out


def cmd_usage(args: argparse.Namespace, out: TextIO) -> int:
    store, settings = RunStore(args.home), StoreSettings.from_env()
    used = quota.usage(store)
    limits = {"runs": settings.store_mb * quota.MB, "compilation cache": settings.compile_cache_mb * quota.MB}
    if args.json:
        return write_json({kind: {**figures, "quota_bytes": limits.get(kind)} for kind, figures in used.items()}, out)
    out.write(f"run store at {store.root}\n")
    for kind, figures in used.items():
        limit = f" of {_mb(limits[kind])}" if kind in limits else ""
        unit = "runs" if kind == "runs" else "files"
        out.write(f"  {kind:<18} {_mb(figures['bytes']):>12}{limit:<16} {figures['files']:>6} {unit}\n")
    out.write(f"  pinned runs: {len(quota.pinned(store))}; uploads unused for {settings.upload_days} days are "
              "removed by `store prune`\n")
    return 0


def _rows(store: RunStore) -> list[dict[str, Any]]:
    """Every stored run, least recently used first: what eviction would take next."""
    keep = quota.protected(store)
    rows = []
    for key, size in quota.runs_bytes(store).items():
        try:
            used = quota.last_used(store.path(key))
        except FileNotFoundError:
            continue
        run = store.summary(key)
        rows.append({"key": key, "bytes": size, "last_used": time.strftime("%Y-%m-%d %H:%M", time.localtime(used)),
                     "used_at": used, "model": run.model if run else "(damaged)", "mode": run.mode if run else "",
                     "data": run.experiment.series.data if run else "", "protected": keep.get(key, "")})
    return sorted(rows, key=lambda r: r["used_at"])


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    rows = _rows(RunStore(args.home))
    if args.json:
        return write_json(rows, out)
    out.write(f"{'key':<12}  {'last used':<16}  {'size':>10}  {'model':<16} {'mode':<10} {'data':<20} kept because\n")
    for r in rows:
        out.write(f"{r['key'][:12]}  {r['last_used']:<16}  {_mb(r['bytes']):>10}  {r['model']:<16} {r['mode']:<10} "
                  f"{r['data']:<20} {r['protected'] or '-'}\n")
    out.write(f"{len(rows)} runs, least recently used (the first to be evicted) first\n")
    return 0


def cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    store = RunStore(args.home)
    keys = sorted(store.keys())
    damaged = [k for k in keys if not store.verify(k)]
    out.write(f"verified {len(keys)} runs against their checksums: {len(damaged)} damaged\n")
    for key in damaged:
        out.write(f"  damaged: {key} (treated as missing: it is trained again when asked for; the log says why)\n")
    return 1 if damaged else 0


def cmd_prune(args: argparse.Namespace, out: TextIO) -> int:
    from rnnlab.jobs import costs  # which experiments the workers' calibration trains

    if args.to_mb is not None and args.to_mb < 0:
        raise CliError(f"--to-mb {args.to_mb}: give a number of megabytes, 0 or more")
    store, settings = RunStore(args.home), StoreSettings.from_env()
    target = (args.to_mb if args.to_mb is not None else settings.store_mb) * quota.MB
    stored, kept = set(store.keys()), quota.pinned(store)
    gone = [k for k in (e.key() for e in costs.calibration_experiments())
            if k in stored and k not in kept and quota.evict(store, k)]
    floor = ""
    try:
        evicted = quota.make_room(store, 0, target)
    except quota.StoreFull as full:  # every run that may go has gone; what remains is kept on purpose
        evicted = full.evicted
        floor = (f"; the {_mb(sum(quota.runs_bytes(store).values()))} left are pinned, lesson or class-board runs, "
                 "which are never evicted")
    uploads = quota.expire_uploads(store, settings.upload_days)
    out.write(f"pruned to {_mb(target)}: evicted {len(evicted)} run(s) ({_mb(sum(b for _, b in evicted))}), "
              f"{len(gone)} calibration run(s), {len(uploads)} uploaded series unused for {settings.upload_days} "
              f"days{floor}\n")
    return 0


def cmd_pin(args: argparse.Namespace, out: TextIO) -> int:
    store = RunStore(args.home)
    done = quota.pin(store, _keys(store, args.keys), args.why)
    out.write(f"pinned {len(done)} run(s) ({args.why}): they are never evicted\n")
    return 0


def cmd_unpin(args: argparse.Namespace, out: TextIO) -> int:
    store = RunStore(args.home)
    done = quota.unpin(store, _keys(store, args.keys))
    out.write(f"unpinned {len(done)} run(s)\n")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """``store`` and its actions."""
    p = sub.add_parser("store", help="the run store's disk: usage, list, verify, prune, pin and unpin runs")
    p.set_defaults(func=cmd_usage, json=False)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    usage = actions.add_parser("usage", help="bytes by kind (runs, uploads, compilation cache) against the quotas")
    usage.add_argument("--json", action="store_true", help="print JSON")
    usage.set_defaults(func=cmd_usage)
    listing = actions.add_parser("list", help="every run, least recently used (the next to be evicted) first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_list)
    actions.add_parser("verify", help="check every run against its checksums (exit 1 if one is damaged)") \
        .set_defaults(func=cmd_verify)
    prune = actions.add_parser("prune", help="evict least recently used unpinned runs down to the quota, remove "
                                             "old unused uploads and stored calibration trainings")
    prune.add_argument("--to-mb", type=int, default=None, metavar="MB",
                       help="evict down to this many megabytes (default: RNNLAB_STORE_MB)")
    prune.set_defaults(func=cmd_prune)
    pin = actions.add_parser("pin", help="never evict these runs (keys or unique prefixes of 6+ characters)")
    pin.add_argument("keys", nargs="+", metavar="KEY")
    pin.add_argument("--why", default="pinned by the operator", help="the reason `store list` shows")
    pin.set_defaults(func=cmd_pin)
    unpin = actions.add_parser("unpin", help="let these runs be evicted again")
    unpin.add_argument("keys", nargs="+", metavar="KEY")
    unpin.set_defaults(func=cmd_unpin)
