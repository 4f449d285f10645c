"""Prints intent macro-F1 from a `rasa test nlu` output folder, and fails below a floor.

    python scripts/report_nlu.py FOLDER LABEL [--min-f1 0.93]

Exit status 1 when the macro-F1 is below --min-f1: `make crossval` uses it as a quality gate.
"""
import argparse
import json
import sys
from pathlib import Path


def macro_f1(folder: str) -> tuple:
    report = json.loads((Path(folder) / "intent_report.json").read_text(encoding="utf-8"))
    return report["macro avg"]["f1-score"], report["accuracy"], report["macro avg"]["support"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("label", nargs="?", default="evaluation")
    parser.add_argument("--min-f1", type=float, default=None, help="fail when the intent macro-F1 is below this")
    args = parser.parse_args(argv)
    f1, accuracy, support = macro_f1(args.folder)
    print(f"NLU {args.label}: intent macro-F1 {f1:.3f}, accuracy {accuracy:.3f} ({support} examples)")
    if args.min_f1 is not None and f1 < args.min_f1:
        print(f"NLU {args.label}: intent macro-F1 {f1:.3f} is below the floor {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
