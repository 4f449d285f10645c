"""The typed development sets (bench/typed_dev/), set by set, typing and clicking, on real servers on loopback.

For tuning, not for published figures: the held-out set (tests/typed_eval/) is the only published one. Each
`conversations_*.yml` is one set; the report gives each set's figures and, with `--transcripts`, writes the
transcripts of the conversations that went wrong, typing and clicking (never for the sets named in `--blind`, kept for aggregates only).

    python -m bench.dev_typed --out results/dev_typed.json [--model models/x.tar.gz] [--root /other/checkout]
        [--sets dev dev5] [--typing-only] [--transcripts results/dev_wrong.txt] [--blind dev5]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path
from typing import Dict, List

from bench.typed import fact_errors_text, load_typed_cases, run_typed, summarize_typed, transcript_text
from launcher.servers import MODEL, ROOT, Servers

logger = logging.getLogger(__name__)

DEV_FOLDER = ROOT / "bench" / "typed_dev"
HEADLINE = (
    "conversations",
    "correct",
    "accuracy",
    "fact_recall",
    "fact_precision",
    "ended_within_8",
    "median_messages",
    "asked_already_stated",
    "handoffs",
    "errors",
)


def dev_sets(names: List[str]) -> Dict[str, Path]:
    """The set files by short name (conversations_dev3.yml is 'dev3'), all of them when `names` is empty."""
    found = {p.stem.removeprefix("conversations_"): p for p in sorted(DEV_FOLDER.glob("conversations_*.yml"))}
    unknown = set(names) - set(found)
    if unknown:
        raise SystemExit(f"no such development set: {sorted(unknown)}; there are {sorted(found)}")
    return {n: p for n, p in found.items() if not names or n in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="JSON of each set's figures")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose servers run")
    parser.add_argument("--sets", nargs="*", default=[])
    parser.add_argument("--typing-only", action="store_true")
    parser.add_argument("--transcripts", type=Path, help="where to write the wrong conversations' transcripts")
    parser.add_argument("--blind", nargs="*", default=[], help="sets whose transcripts are never written")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    modes = ["typing"] if args.typing_only else ["typing", "clicking"]
    report: Dict[str, Dict[str, dict]] = {}
    wrong_text: List[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        with Servers.running(Path(tmp), model=args.model, root=args.root) as servers:
            for name, path in dev_sets(args.sets).items():
                cases = load_typed_cases(DEV_FOLDER, pattern=path.name)
                for mode in modes:
                    runs = run_typed(servers.client, cases, f"dev-{name}", clicking=(mode == "clicking"))
                    summary = summarize_typed(runs)
                    report.setdefault(name, {})[mode] = {k: summary[k] for k in HEADLINE}
                    logger.info("%s %s: %s", name, mode, json.dumps(report[name][mode], ensure_ascii=False))
                    if name not in args.blind:
                        for run in summary["wrong"] + [r for r in runs if r.correct and not r.ended]:
                            wrong_text.append(
                                f"### {mode} {name} {run.case.id} ({run.case.cause}) -> "
                                f"{run.diagnosed or '(none)'}\n{transcript_text(run)}\n{fact_errors_text(run)}\n"
                            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.transcripts:
        args.transcripts.write_text("\n".join(wrong_text), encoding="utf-8")


if __name__ == "__main__":
    main()
