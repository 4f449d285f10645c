"""Issue 11's speed comparison in one run: ours (typed, then buttons) against vanilla Rasa and the
custom-action reference bot, with errors counted, equal warm-up and resident memory.

    python -m bench.speed --out docs/bench/speed.md [--sequential 200] [--c8 400] [--c32 800]
                          [--profile docs/bench/flame-after.svg --profile-seconds 60]

All four rows run in the same process against servers started by this run, level by level (ours typed,
ours buttons, vanilla, reference). The sequential level runs in --rounds interleaved blocks (the rows take
turns, in a rotating order), the concurrent levels row by row, so machine noise (2 shared cores) hits the
rows alike: read the ratios, not the absolute numbers. Every server gets the same warm-up (the same number of
sequential messages of its own traffic) before any measurement.

- ours: the project's Rasa and action servers (launcher/servers.py), the trained model, SQLite
  tracker store; traffic: the held-out typed conversations (launcher/datasets.py), typed, then clicked;
- vanilla: `rasa init --no-prompt` (moodbot, in-memory tracker store, no action server);
- reference: bench/reference.py (one form, a custom validation action on an action server).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from bench import load
from bench.machine import machine_info
from bench.reference import ReferenceAssistant, reference_traffic
from bench.servers import LoopbackServers, VanillaAssistant, memory_mb
from bench.typed import load_typed_cases
from launcher.conversation import RestClient
from launcher.servers import MODEL, TOKEN

ROOT = Path(__file__).resolve().parents[1]
WARM_UP_MESSAGES = 40
ROWS = ("ours_typed", "ours_buttons", "vanilla", "reference")
TITLES = {"ours_typed": "ours, typed", "ours_buttons": "ours, buttons", "vanilla": "vanilla `rasa init`",
          "reference": "reference (form + custom action)"}


def log(text: str) -> None:
    print(f"[speed {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def py_spy(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    """py-spy recording a flame graph (SVG) of process `pid` for `seconds`, 50 samples a second."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # bench/requirements.txt installs it into the venv; a py-spy on PATH does too (e.g. kept out of a shared venv)
    beside = Path(sys.executable).parent / "py-spy"
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy not found in the venv or on PATH: pip install -r bench/requirements.txt")
    return subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(seconds),
                             "-r", "50", "-f", "flamegraph", "-o", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="pos-speed-"))
    if args.work:  # reuse the vanilla and reference bots trained by an earlier run (training is not measured)
        for name in ("vanilla", "reference"):
            if (Path(args.work) / name / "models").is_dir():
                shutil.copytree(Path(args.work) / name, tmp / name)
    results: dict = {"machine": machine_info(), "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "levels": {}, "warm_up_messages": WARM_UP_MESSAGES}
    cases = load_typed_cases()
    vanilla, reference = VanillaAssistant(tmp), ReferenceAssistant(tmp)
    (tmp / "ours").mkdir()
    ours = LoopbackServers(tmp / "ours")
    try:
        log("training vanilla (rasa init) and the reference bot")
        trained = lambda name: any((tmp / name / "models").glob("*.tar.gz"))  # noqa: E731
        results["vanilla_train_seconds"] = None if trained("vanilla") else vanilla.init_and_train()
        results["reference_train_seconds"] = None if trained("reference") else reference.write_and_train()
        if args.work:
            for name in ("vanilla", "reference"):
                if not (Path(args.work) / name).exists():
                    shutil.copytree(tmp / name, Path(args.work) / name)
        log("starting servers")
        ours.start_actions()
        ours.start_rasa()
        vanilla.start()
        reference.start()
        clients = {"ours_typed": RestClient(ours.url, TOKEN, timeout=args.timeout),
                   "ours_buttons": RestClient(ours.url, TOKEN, timeout=args.timeout),
                   "vanilla": RestClient(vanilla.url, TOKEN, timeout=args.timeout),
                   "reference": RestClient(reference.url, TOKEN, timeout=args.timeout)}

        def traffic(row: str, label: str):
            if row == "ours_typed":
                return load.typed_traffic(cases, f"{label}-typed")
            if row == "ours_buttons":
                return load.typed_traffic(cases, f"{label}-click", clicking=True)
            if row == "vanilla":
                return load.vanilla_traffic(label)
            return reference_traffic(label)

        log(f"warm-up: {WARM_UP_MESSAGES} sequential messages per row")
        results["warm_up"] = {row: _strip(load.run_load(clients[row], traffic(row, "warm"), WARM_UP_MESSAGES, 1))
                              for row in ROWS}
        levels = [(n, c, m) for n, c, m in (("sequential", 1, args.sequential), ("concurrent_8", 8, args.c8),
                                        ("concurrent_32", 32, args.c32)) if m]
        for name, concurrency, messages in levels:
            results["levels"][name] = {}
            if concurrency == 1 and args.rounds > 1:
                log(f"{name}: {messages} messages per row, 1 at a time, in {args.rounds} interleaved rounds")
                results["levels"][name] = {row: _strip(run) for row, run in interleaved(
                    clients, traffic, name, messages, args.rounds).items()}
                continue
            for row in ROWS:
                log(f"{name}: {row}, {messages} messages, {concurrency} at a time")
                results["levels"][name][row] = _strip(
                    load.run_load(clients[row], traffic(row, name), messages, concurrency, deadline_seconds=900))
        results["memory"] = {"ours_rasa": memory_mb(ours.rasa.pid), "ours_actions": memory_mb(ours.actions.pid),
                             "vanilla_rasa": memory_mb(vanilla.process.pid),
                             "reference_rasa": memory_mb(reference.process.pid),
                             "reference_actions": memory_mb(reference.actions.pid)}
        if args.profile:
            log(f"py-spy on our Rasa server for {args.profile_seconds}s of sequential typed conversations")
            spy = py_spy(ours.rasa.pid, args.profile_seconds, Path(args.profile))
            load.run_load(clients["ours_typed"], traffic("ours_typed", "profile"), 100000, 1,
                          deadline_seconds=args.profile_seconds)
            spy.wait(timeout=120)
            results["profile"] = str(args.profile)
    finally:
        for server in (ours, vanilla, reference):
            if server is not None:
                try:
                    server.close()
                except Exception:  # noqa: BLE001
                    pass
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def interleaved(clients: dict, traffic, name: str, messages: int, rounds: int) -> dict:
    """Each row's sequential messages in `rounds` blocks, the rows taking turns in a rotating order, so a
    noisy moment of a shared machine falls on every row alike; each row's blocks are pooled."""
    runs: dict = {row: [] for row in ROWS}
    for i in range(rounds):
        shift = i % len(ROWS)
        for row in ROWS[shift:] + ROWS[:shift]:
            share = messages // rounds + (1 if i < messages % rounds else 0)
            runs[row].append(load.run_load(clients[row], traffic(row, f"{name}-r{i}"), share, 1, deadline_seconds=900))
    return {row: pooled(blocks) for row, blocks in runs.items()}


def pooled(blocks: list) -> dict:
    """One run_load result from several blocks of the same row: counts added, percentiles over all latencies."""
    latencies = [x for b in blocks for x in b["latencies"]]
    seconds = sum(b["seconds"] for b in blocks)
    done = sum(b["messages"] for b in blocks)
    kinds = {k: sum(b["error_kinds"][k] for b in blocks) for k in blocks[0]["error_kinds"]}
    return {"concurrency": 1, "messages": done, "sent": sum(b["sent"] for b in blocks),
            "errors": sum(b["errors"] for b in blocks), "error_kinds": kinds, "timeouts": kinds["timeout"],
            "seconds": seconds, "throughput": done / seconds if seconds else 0.0,
            "p50": load.percentile(latencies, 50), "p95": load.percentile(latencies, 95),
            "mean": statistics.mean(latencies) if latencies else None, "latencies": latencies,
            "timed_out": any(b["timed_out"] for b in blocks), "blocks": len(blocks)}


def _strip(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "latencies"}


def _ms(seconds: Optional[float]) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f}"


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render(results: dict, command: str) -> str:
    levels = results["levels"]
    lines = ["# Per-turn speed: ours against vanilla Rasa and a custom-action reference bot (issue 11)", "",
             f"Generated by `{command}`, started {results['started']}; one run, every row against servers "
             "started by this run, level by level; the sequential level in interleaved rounds (the rows take "
             "turns in blocks, in a rotating order), the concurrent levels row by row; on a machine shared with other work "
             "(2 cores): **read the ratios**, which are within one run.", "",
             f"Equal warm-up: {results['warm_up_messages']} sequential messages per row before any "
             "measurement. Errors: failed requests, timeouts, empty replies and the guarded channel's canned "
             "apology (`NO_REPLY_FALLBACK`) count as errors, not as fast answers, and are not in the latencies.",
             "", "| load | row | sent | errors (timeouts) | p50 ms | p95 ms | msg/s |", "|---|---|---|---|---|---|---|"]
    for name, rows in levels.items():
        for row in ROWS:
            r = rows[row]
            lines.append(f"| {name} | {TITLES[row]} | {r['sent']} | {r['errors']} ({r['timeouts']}) | {_ms(r['p50'])} "
                         f"| {_ms(r['p95'])} | {_fmt(r['throughput'], 1)} |")
    seq = levels["sequential"]
    mem = results["memory"]
    errors = sum(r["errors"] for rows in levels.values() for r in rows.values())
    sent = sum(r["sent"] for rows in levels.values() for r in rows.values())
    ours_err = sum(rows[row]["errors"] for rows in levels.values() for row in ("ours_typed", "ours_buttons"))
    ours_sent = sum(rows[row]["sent"] for rows in levels.values() for row in ("ours_typed", "ours_buttons"))
    must = [
        ("sequential p95, ours typed ÷ vanilla", "≤ 1.5×",
         _ratio(seq["ours_typed"]["p95"], seq["vanilla"]["p95"]), lambda v: v <= 1.5),
        ("sequential p95, ours buttons ÷ vanilla", "(second row)",
         _ratio(seq["ours_buttons"]["p95"], seq["vanilla"]["p95"]), None),
    ]
    for n in ("8", "32"):
        rows = levels.get(f"concurrent_{n}")
        if rows:
            must.append((f"throughput at {n} concurrent, ours typed ÷ vanilla", "≥ 0.7×",
                         _ratio(rows["ours_typed"]["throughput"], rows["vanilla"]["throughput"]), lambda v: v >= 0.7))
            must.append((f"throughput at {n} concurrent, ours buttons ÷ vanilla", "(second row)",
                         _ratio(rows["ours_buttons"]["throughput"], rows["vanilla"]["throughput"]), None))
    must.append(("sequential p50, reference ÷ ours typed (how many times faster ours is)", "≥ 2×",
                 _ratio(seq["reference"]["p50"], seq["ours_typed"]["p50"]), lambda v: v >= 2))
    must.append(("Rasa server RSS, ours ÷ vanilla", "≤ 1.15×",
                 _ratio(mem["ours_rasa"]["rss_mb"], mem["vanilla_rasa"]["rss_mb"]), lambda v: v <= 1.15))
    lines += ["", "## Must show (issue 11), from this run", "", "| measure | goal | this run | met |", "|---|---|---|---|"]
    for label, goal, value, ok in must:
        met = "–" if ok is None or value is None else ("yes" if ok(value) else "**no**")
        lines.append(f"| {label} | {goal} | {_fmt(value)}× | {met} |")
    lines.append(f"| lost or errored messages, ours | 0 | {ours_err} of {ours_sent} | "
                 f"{'yes' if ours_err == 0 else '**no**'} |")
    lines.append(f"| lost or errored messages, all rows | – | {errors} of {sent} | – |")
    lines += ["", "## Resident memory after the run (VmRSS, MiB)", "", "| process | RSS | peak |", "|---|---|---|"]
    for name, m in mem.items():
        lines.append(f"| {name} | {m['rss_mb']:.0f} | {m['peak_mb']:.0f} |")
    trained = {k: results[f"{k}_train_seconds"] for k in ("vanilla", "reference")}
    lines += ["", "Training (not part of the comparison): " + ", ".join(
        f"{k} {'reused from --work' if v is None else f'{v:.0f} s'}" for k, v in trained.items()) + ".", ""]
    if results.get("profile"):
        lines += [f"Flame graph of our Rasa server in this run: [{Path(results['profile']).name}]"
                  f"({Path(results['profile']).name}).", ""]
    lines += ["Machine: " + json.dumps(results["machine"], ensure_ascii=False), ""]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--c8", type=int, default=400, help="messages at 8 concurrent conversations (0: skip)")
    parser.add_argument("--c32", type=int, default=800, help="messages at 32 concurrent conversations (0: skip)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="sequential level: each row's messages in this many interleaved blocks (1: row by row)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "speed.md"))
    parser.add_argument("--json", help="also write the numbers here")
    parser.add_argument("--work", help="keep the trained vanilla and reference bots here and reuse them")
    parser.add_argument("--profile", help="py-spy flame graph (SVG) of our Rasa server after the measurement")
    parser.add_argument("--profile-seconds", type=int, default=60)
    args = parser.parse_args(argv)
    if not MODEL.exists():
        raise SystemExit(f"no trained model at {MODEL}: run `make train` first")
    results = run(args)
    command = "python -m bench.speed " + " ".join(argv if argv is not None else sys.argv[1:])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(render(results, command.strip()), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
