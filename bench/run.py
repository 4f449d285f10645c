"""One command for every benchmark: `python -m bench.run` writes docs/benchmarks.md and docs/bench/*.png.

    python -m bench.run                       # full run (about 40 minutes on 2 busy cores)
    python -m bench.run --smoke --out /tmp/b.md [--skip-vanilla]   # a few minutes: plumbing check

Full run: the held-out typed conversations (launcher/datasets.py) typing and clicking, all personas
against the live servers, the offline question-order baseline, NLU 3-fold
cross-validation of our pipeline and Rasa's default, a vanilla `rasa init` assistant as the speed
reference (sequential latency, 8 and 32 concurrent conversations), resident memory, full training
and retraining after a response change. Smoke run: 6 personas, 20 sequential messages, 4 concurrent
conversations, no cross-validation and no training measurement; the vanilla assistant is still
trained unless --skip-vanilla.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable, Dict, Optional

from bench import load
from bench import nlu as nlu_bench
from bench import offline, report, training
from bench.machine import machine_info
from bench.servers import LoopbackServers, VanillaAssistant, listening_addresses, memory_mb, only_loopback
from bench.simulator import load_personas, pick_personas, run_personas, summarize
from bench.typed import END_WITHIN, load_typed_cases, run_typed, summarize_typed
from launcher import datasets
from launcher.conversation import MAX_MESSAGES, RestClient
from launcher.env import command_environment
from launcher.servers import MODEL, TOKEN
from pos_expert import DiagnosisEngine, default_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"


def _settings(args) -> dict:
    common = {"max_messages": MAX_MESSAGES, "end_within": END_WITHIN, "crossval_folds": 3}
    if args.smoke:
        return {"mode": "smoke", "personas": 6, "typed": 10, "sequential": 20, "concurrency": [4],
                "concurrent_messages": {4: 20}, "crossval": False, "training": False, **common}
    return {"mode": "full", "personas": None, "typed": None, "sequential": 400, "concurrency": [8, 32],
            "concurrent_messages": {8: 800, 32: 1600}, "crossval": True, "training": True, **common}


class Phases:
    """Runs named phases, keeps their durations, logs progress to stderr."""

    def __init__(self):
        self.seconds: Dict[str, float] = {}
        self.errors: Dict[str, str] = {}
        self.started = time.perf_counter()

    def log(self, text: str) -> None:
        print(f"[bench {time.perf_counter() - self.started:7.1f}s] {text}", file=sys.stderr, flush=True)

    def run(self, name: str, step: Callable, required: bool = False):
        self.log(f"{name} ...")
        started = time.perf_counter()
        try:
            return step()
        except Exception as error:  # noqa: BLE001 - a failed optional phase is reported, not fatal
            if required:
                raise
            self.errors[name] = f"{type(error).__name__}: {error}"
            self.log(f"{name} FAILED: {self.errors[name]}")
            traceback.print_exc()
            return None
        finally:
            self.seconds[name] = time.perf_counter() - started
            self.log(f"{name} done in {self.seconds[name]:.0f}s")


def _warm_up(client: RestClient, make_dialogue, conversations: int = 2) -> None:
    load.run_load(client, make_dialogue, total_messages=conversations * 4, concurrency=1, deadline_seconds=300)


def run(args) -> dict:
    settings = _settings(args)
    phases = Phases()
    results: dict = {"settings": settings, "machine": machine_info(), "started": time.time(),
                     "data": {name: nlu_bench.shown(Path(path)) for name, path in (
                         ("typed_cases", args.typed_cases), ("evidence_cases", args.evidence_cases),
                         ("nlu_holdout", args.nlu_holdout))},
                     "vanilla_script": list(load.VANILLA_SCRIPTS[0])}
    kb = default_knowledge_base()
    all_personas = load_personas(kb=kb)
    personas = pick_personas(all_personas, settings["personas"])
    results["personas_available"] = len(all_personas)
    typed_cases = load_typed_cases(Path(args.typed_cases), kb=kb)
    if not MODEL.exists():
        raise SystemExit(f"no trained model at {MODEL}: run `make train` first")

    tmp = Path(tempfile.mkdtemp(prefix="pos-bench-"))
    phases.log(f"work folder {tmp}")
    try:
        project = training.snapshot_project(tmp / "project")
        results["snapshot"] = training.snapshot_names()
        results["offline"] = phases.run("offline question order", lambda: offline.compare_strategies(
            DiagnosisEngine(kb), personas, Path(args.evidence_cases)))

        vanilla: Optional[VanillaAssistant] = None
        if not args.skip_vanilla:
            vanilla = VanillaAssistant(tmp)
            trained = phases.run("vanilla rasa init + train", vanilla.init_and_train)
            if trained is None:
                vanilla = None
            results["vanilla_train_seconds"] = trained

        (tmp / "ours").mkdir()
        ours = LoopbackServers(tmp / "ours")
        results["model"] = {"path": str(MODEL.relative_to(ROOT)), "mtime": MODEL.stat().st_mtime}
        try:
            phases.run("start our servers", lambda: (ours.start_actions(), ours.start_rasa()), required=True)
            if vanilla:
                if phases.run("start vanilla server", lambda: vanilla.start() or True) is None:
                    vanilla = None
            pids = dict(ours.pids())
            if vanilla:
                pids["vanilla"] = vanilla.process.pid
            results["listening"] = {name: listening_addresses([pid]) for name, pid in pids.items()}
            results["loopback_only"] = all(only_loopback(a) for a in results["listening"].values())
            if not results["loopback_only"]:
                raise SystemExit(f"a server listens beyond loopback: {results['listening']}")

            client = RestClient(ours.url, TOKEN, timeout=120)
            vanilla_client = RestClient(vanilla.url, TOKEN, timeout=120) if vanilla else None
            run_id = f"{int(time.time())}"

            def personas_phase():
                conversations = run_personas(client, personas, run_id, progress=phases.log)
                return conversations, summarize(conversations, kb.cause_ids)

            conversations, results["live"] = phases.run("persona conversations", personas_phase, required=True)

            def typed_phase():
                cases = typed_cases
                if settings["typed"]:
                    # every k-th, exactly settings["typed"] of them (126 cases // 10 = 12 gave 11)
                    cases = cases[::max(1, len(cases) // settings["typed"])][:settings["typed"]]
                rows = {}
                for mode, clicking in (("typing", False), ("clicking", True)):
                    runs = run_typed(client, cases, f"{run_id}-{mode}", clicking=clicking)
                    rows[mode] = {**summarize_typed(runs, kb), "runs": runs}
                return rows

            results["typed"] = phases.run("typed conversations (held-out set, typing and clicking)", typed_phase)

            def speed_phase():
                speed = {"ours": {}, "vanilla": {}}
                # typed conversations are our main traffic (issue 11); bench.speed adds the clicking row
                ours_traffic = lambda label: load.typed_traffic(typed_cases, f"{run_id}-{label}")  # noqa: E731
                vanilla_traffic = lambda label: load.vanilla_traffic(f"{run_id}-{label}")  # noqa: E731
                _warm_up(client, ours_traffic("warm"))
                if vanilla_client:
                    _warm_up(vanilla_client, vanilla_traffic("warm"))
                levels = [("sequential", 1, settings["sequential"])] + [
                    (f"concurrent_{c}", c, settings["concurrent_messages"][c]) for c in settings["concurrency"]]
                for name, concurrency, messages in levels:  # ours, then vanilla, level by level
                    phases.log(f"  {name}: {messages} messages, {concurrency} at a time")
                    speed["ours"][name] = load.run_load(client, ours_traffic(name), messages, concurrency)
                    if vanilla_client:
                        speed["vanilla"][name] = load.run_load(vanilla_client, vanilla_traffic(name), messages,
                                                               concurrency)
                return speed

            results["speed"] = phases.run("speed", speed_phase)
            memory = {"rasa": memory_mb(ours.rasa.pid), "actions": memory_mb(ours.actions.pid)}
            if vanilla:
                memory["vanilla_rasa"] = memory_mb(vanilla.process.pid)
            results["memory"] = memory
        finally:
            ours.close()
            if vanilla:
                vanilla.close()

        if settings["crossval"] and not args.skip_crossval:
            env = command_environment()
            nlu_data = project / "data" / "nlu"

            def cross_validate(config, out, **options):
                return nlu_bench.cross_validate(config, nlu_data, tmp / out, env, folds=settings["crossval_folds"],
                                                **options)

            def nlu_phase():
                return {
                    "annotated_examples": nlu_bench.annotated_examples(nlu_data),
                    "ours": cross_validate(project / "config_crossval.yml", "cv-ours", label=training.CROSSVAL_CONFIG),
                    "holdout": nlu_bench.evaluate_holdout(MODEL, tmp / "holdout-ours", env, Path(args.nlu_holdout)),
                    "rasa_default": cross_validate(nlu_bench.DEFAULT_CONFIG, "cv-default"),
                    "rasa_default_jieba": cross_validate(nlu_bench.DEFAULT_JIEBA_CONFIG, "cv-default-jieba"),
                }

            results["nlu"] = phases.run("NLU cross-validation (ours, Rasa default, default + Jieba)", nlu_phase)
        if settings["training"] and not args.skip_training:
            results["training"] = phases.run("training time (full, retrain after a response change)",
                                             lambda: training.measure_training(project, tmp / "train",
                                                                               command_environment()))
    finally:
        results["phase_seconds"] = phases.seconds
        results["phase_errors"] = phases.errors
        results["total_seconds"] = time.perf_counter() - phases.started
        if args.keep_tmp:
            phases.log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    out = Path(args.out)
    plots = Path(args.plots) if args.plots else out.parent / "bench"
    results["files"] = report.write(results, conversations, out, plots)
    phases.log(f"wrote {out} and {len(results['files']) - 1} plots in {plots}")
    if args.json:
        Path(args.json).write_text(json.dumps(report.jsonable(results), ensure_ascii=False, indent=1), encoding="utf-8")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run: 6 personas, 20 sequential messages, "
                        "4 concurrent conversations, no cross-validation, no training measurement")
    parser.add_argument("--skip-vanilla", action="store_true", help="no vanilla assistant (no speed ratios)")
    parser.add_argument("--skip-crossval", action="store_true", help="no NLU cross-validation")
    parser.add_argument("--skip-training", action="store_true", help="no training-time measurement")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="the Markdown report (default docs/benchmarks.md)")
    parser.add_argument("--plots", help="folder for the PNG plots (default: bench/ next to --out)")
    parser.add_argument("--json", help="also write the numbers as JSON to this file")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the work folder (logs, models, reports)")
    parser.add_argument("--typed-cases", default=str(datasets.TYPED_EVAL), help="the held-out typed conversations")
    parser.add_argument("--evidence-cases", default=str(datasets.EVIDENCE_CASES),
                        help="the evidence cases of the offline question-order baseline")
    parser.add_argument("--nlu-holdout", default=str(datasets.NLU_HOLDOUT), help="the held-out intent examples")
    args = parser.parse_args(argv)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
