"""Prints intent macro-F1 and entity F1 from a `rasa test nlu --cross-validation` output folder."""
import json
import sys
from pathlib import Path


def main(folder: str) -> int:
    out = Path(folder)
    intents = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    print(f"NLU cross-validation: intent macro-F1 {intents['macro avg']['f1-score']:.3f}, "
          f"accuracy {intents['accuracy']:.3f}")
    entity_reports = sorted(out.glob("*Extractor_report.json"))
    for report in entity_reports:
        data = json.loads(report.read_text(encoding="utf-8"))
        micro = data.get("micro avg") or data.get("weighted avg") or {}
        print(f"NLU cross-validation: {report.stem.replace('_report', '')} entity micro-F1 "
              f"{micro.get('f1-score', 0):.3f}, macro-F1 {data.get('macro avg', {}).get('f1-score', 0):.3f}")
    if not entity_reports:
        print("NLU cross-validation: no entity report found")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
