"""Prints intent macro-F1 from a `rasa test nlu` output folder (cross-validation or a held-out test)."""
import json
import sys
from pathlib import Path


def main(folder: str, label: str) -> int:
    report = json.loads((Path(folder) / "intent_report.json").read_text(encoding="utf-8"))
    print(f"NLU {label}: intent macro-F1 {report['macro avg']['f1-score']:.3f}, "
          f"accuracy {report['accuracy']:.3f} ({report['macro avg']['support']} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "evaluation"))
