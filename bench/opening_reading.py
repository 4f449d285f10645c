"""How well the fact reader reads the development sets' openings, without servers and in a few minutes.

Each development opening comes with the facts its writer says it states. The reader (trained as
MerchantFactExtractor is, optionally without some answer-bank files) reads each opening at the
component's entity threshold. A reading counts as wrong when it contradicts the case's fact for that
signal (stated anywhere in the case); a stated fact not read is missed. This is the quick check for a
change to the answer bank or the reader: compare a run `--without` the new files against one with them.

    python -m bench.opening_reading [--without openings_g1.yml ...] [--blind dev5] [--out F]
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
from pathlib import Path
from typing import Dict, Iterable

from bench.dev_typed import DEV_FOLDER, dev_sets
from bench.leave_writers_out import split_answer_bank, trained_reader
from bench.typed import TypedCase, load_typed_cases
from nlu_components.facts import MerchantFactExtractor
from pos_expert.knowledge import UNKNOWN

logger = logging.getLogger(__name__)

# The bar at which the component reports an unprompted fact.
ENTITY_THRESHOLD = MerchantFactExtractor.get_default_config()["entity_threshold"]


def score_openings(reader, cases: Iterable[TypedCase], threshold: float = ENTITY_THRESHOLD) -> dict:
    """Right, wrong and missed opening facts of `cases`, with the signals most often wrong or missed."""
    right = wrong = stated = missed = 0
    per_signal: collections.Counter = collections.Counter()
    for case in cases:
        read = {r.signal_id: r.answer_id for r in reader.read(case.opening, threshold=threshold)}
        for signal_id, answer_id in read.items():
            truth = case.opening_facts.get(signal_id) or case.truth(signal_id)
            if truth in (None, UNKNOWN):
                continue  # nothing in the case to check it against
            if truth == answer_id:
                right += 1
            else:
                wrong += 1
                per_signal[f"wrong {signal_id}"] += 1
        for signal_id, answer_id in case.opening_facts.items():
            if answer_id == UNKNOWN:
                continue
            stated += 1
            if read.get(signal_id) != answer_id:
                missed += 1
                per_signal[f"missed {signal_id}"] += 1
    return {
        "precision": round(right / max(1, right + wrong), 3),
        "recall": round((stated - missed) / max(1, stated), 3),
        "wrong": wrong,
        "missed": missed,
        "stated": stated,
        "worst": per_signal.most_common(6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--without", nargs="*", default=[], help="answer-bank file names to train without")
    parser.add_argument("--blind", nargs="*", default=[], help="sets reported as aggregates only (no signals)")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    reader = trained_reader(split_answer_bank(args.without)["train"])
    figures: Dict[str, dict] = {"without": args.without}
    for name, path in dev_sets([]).items():
        figures[name] = score_openings(reader, load_typed_cases(DEV_FOLDER, pattern=path.name))
        if name in args.blind:
            figures[name].pop("worst")
    sets = [v for k, v in figures.items() if k != "without"]
    figures["all"] = {k: sum(s[k] for s in sets) for k in ("wrong", "missed", "stated")}
    print(json.dumps(figures, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
