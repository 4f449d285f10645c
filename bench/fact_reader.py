"""The fact reader's cost per message, as the Rasa server pays it (issue 11).

    python -m bench.fact_reader [--model models/pos-assistant.tar.gz] [--texts 120] [--rounds 5]

Loads the fact reader of a trained model into `MerchantFactExtractor` and times its `process` (entities,
then answers_if_asked) on held-out typed texts (openings and answers, a spread of --texts), one message at
a time, --rounds times; prints the median over rounds of the mean ms per message. Runs against any
checkout: `PYTHONPATH=<checkout> python <this file>` times that checkout's reader (e.g. before a change).
"""
from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import tarfile
import time
from pathlib import Path

from rasa.shared.nlu.training_data.message import Message

from bench.typed import load_typed_cases
from launcher.servers import MODEL
from nlu_components.facts import MerchantFactExtractor


def load_component(model: Path) -> MerchantFactExtractor:
    """The component with the model's trained reader, ready as after `MerchantFactExtractor.load`."""
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("fact_reader.pkl"))
        state = pickle.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
    component = MerchantFactExtractor(MerchantFactExtractor.get_default_config(), None, None)  # type: ignore[arg-type]
    component.reader.featurizer.vocabulary = state["vocabulary"]
    component.reader.models = state["models"]
    if hasattr(component.reader, "prepare"):
        component.reader.prepare()
    return component


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fact_reader", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--texts", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    component = load_component(args.model)
    cases = load_typed_cases()
    texts = [c.opening for c in cases] + [r.text for c in cases for r in c.answers.values()]
    texts = texts[:: max(1, len(texts) // args.texts)][: args.texts]
    component.process([Message(data={"text": texts[0]})])  # warm-up
    means = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for text in texts:
            component.process([Message(data={"text": text})])
        means.append((time.perf_counter() - started) / len(texts) * 1000)
    print(f"{type(component.reader).__name__}: {statistics.median(means):.2f} ms per message "
          f"(median of {args.rounds} rounds over {len(texts)} typed texts; rounds {', '.join(f'{m:.2f}' for m in means)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
