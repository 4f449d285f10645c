"""How well the fact reader reads writers it has never seen: train without some answer-bank files, read them.

The answer bank's `replies_*` files come from independent writers who saw only the question sheet. Training
the reader (as MerchantFactExtractor does, from data/nlu and the rest of the bank) without some of them and
reading their replies as replies to their questions measures generalisation to new wording, without servers
and without touching the held-out or development sets. The decision rules are the form's (actions/facts.py):
taken at TAKE_THRESHOLD, confirmed ("您是说…,对吗?") from CONFIRM_THRESHOLD, 不知道 from UNKNOWN_THRESHOLD.

    python -m bench.leave_writers_out --hold replies_f1.yml replies_f2.yml [--regularization 8]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Dict, Sequence, Set

from rasa.shared.nlu.training_data.loading import load_data

from actions.facts import CONFIRM_THRESHOLD, TAKE_THRESHOLD, UNKNOWN_THRESHOLD
from launcher.env import ROOT
from nlu_components.facts import MerchantFactExtractor, fact_training_examples
from pos_expert.facts import NONE, TYPED_ANSWERS_DIR, Example, FactReader, load_typed_answers
from pos_expert.knowledge import UNKNOWN, default_knowledge_base
from pos_expert.text import lexicon_for

logger = logging.getLogger(__name__)

# The component's C, so that the reader trained here is the one it trains.
REGULARIZATION = MerchantFactExtractor.get_default_config()["regularization"]


def split_answer_bank(held: Sequence[str], folder: Path = TYPED_ANSWERS_DIR) -> Dict[str, Set[str]]:
    """The answer-bank file names in two parts: 'train', every file but the held ones, and 'held'."""
    names = {p.name for p in folder.glob("*.yml")}
    missing = set(held) - names
    if missing:
        raise SystemExit(f"no such answer-bank file: {sorted(missing)}")
    return {"train": names - set(held), "held": set(held)}


def trained_reader(answer_bank: Set[str], regularization: float = REGULARIZATION) -> FactReader:
    """The reader as MerchantFactExtractor trains it, from data/nlu and the answer-bank files `answer_bank`."""
    kb = default_knowledge_base()
    reader = FactReader(kb, lexicon_for(kb))
    examples = fact_training_examples(
        kb,
        reader.lexicon,
        load_data(str(ROOT / "data" / "nlu")),
        typed_answers=load_typed_answers(kb, names=answer_bank),
    )
    return reader.train(examples, regularization=regularization)


def score_replies(reader: FactReader, examples: Sequence[Example]) -> dict:
    """The form's outcome for every held reply typed after its own question, in all and per signal."""
    counts = dict.fromkeys(
        (
            "answers",
            "taken_right",
            "taken_wrong",
            "confirmed_right",
            "confirmed_wrong",
            "missed",
            "dont_knows",
            "dont_knows_read",
        ),
        0,
    )
    per_signal: Dict[str, Dict[str, int]] = {}
    for example in examples:
        if example.asked is not True or example.label == NONE:
            continue  # an off-target reply, or the same text as a statement
        reading = reader.answers_if_asked(example.text).get(example.signal_id)
        answer, confidence = (reading.answer_id, reading.confidence) if reading else (NONE, 0.0)
        if example.label == UNKNOWN:
            counts["dont_knows"] += 1
            counts["dont_knows_read"] += answer == UNKNOWN and confidence >= UNKNOWN_THRESHOLD
            continue
        counts["answers"] += 1
        right = "right" if answer == example.label else "wrong"
        signal = per_signal.setdefault(example.signal_id, {"answers": 0, "taken_right": 0})
        signal["answers"] += 1
        signal["taken_right"] += right == "right" and confidence >= TAKE_THRESHOLD
        if answer not in (NONE, UNKNOWN) and confidence >= TAKE_THRESHOLD:
            counts[f"taken_{right}"] += 1
        elif answer not in (NONE, UNKNOWN) and confidence >= CONFIRM_THRESHOLD:
            counts[f"confirmed_{right}"] += 1
        else:
            counts["missed"] += 1
    counts["per_signal"] = dict(sorted(per_signal.items()))
    total = counts["answers"] or 1
    counts["taken_right_share"] = round(counts["taken_right"] / total, 3)
    counts["taken_or_confirmed_right_share"] = round((counts["taken_right"] + counts["confirmed_right"]) / total, 3)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hold", nargs="+", required=True, help="answer-bank file names to leave out and read")
    parser.add_argument("--regularization", type=float, default=REGULARIZATION, help="the component's C")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    kb = default_knowledge_base()
    parts = split_answer_bank(args.hold)
    started = time.monotonic()
    reader = trained_reader(parts["train"], regularization=args.regularization)
    figures = {
        "held": args.hold,
        "regularization": args.regularization,
        "training_seconds": round(time.monotonic() - started),
        **score_replies(reader, load_typed_answers(kb, names=parts["held"])),
    }
    print(json.dumps(figures, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
