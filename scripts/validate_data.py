"""`rasa data validate`, failing on every warning except one Rasa 3.6 cannot avoid.

Rasa's validator warns that a response "is not used in any story or rule" when only a custom
action (or our input channel) sends it (RasaHQ/rasa#11843 is the same validator logic). Our actions send their reply text
through domain responses (dispatcher.utter_message(response=...)), so those warnings are expected
for exactly the responses the actions name; any other warning fails, as --fail-on-warnings would.

It first checks that domain.yml's generated signal blocks match the knowledge base (pos_expert/domain_blocks.py):
Rasa would accept a stale domain that the engine and the fact extractor then disagree with.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for pos_expert when the script runs without scripts/env.sh

from pos_expert import domain_blocks  # noqa: E402

UNUSED = "The utterance '{}' is not used in any story or rule."


def responses_sent_by_actions() -> set:
    names = set()
    # the actions, and the input channels that answer before any action runs
    for path in [*(ROOT / "actions").glob("*.py"), *(ROOT / "channels").glob("*.py")]:
        # response="utter_x" and the names kept in tables such as actions/payout.py RESPONSE_OF_STATUS
        names.update(re.findall(r'"(utter_\w+)"', path.read_text(encoding="utf-8")))
    return names


def unexpected_warnings(output: str, sent_by_actions: set) -> list:
    """Every warning in Rasa's output except 'not used' for a response the actions send."""
    allowed = {UNUSED.format(name) for name in sent_by_actions}
    return [w for w in re.findall(r"UserWarning: (.*)", output) if w.strip() not in allowed]


def main() -> int:
    if domain_blocks.main(["--check"]) != 0:
        return 1
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run([rasa, "data", "validate"], cwd=ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    print(output[-4000:])
    warnings = re.findall(r"UserWarning: (.*)", output)
    unexpected = unexpected_warnings(output, responses_sent_by_actions())
    for warning in unexpected:
        print(f"validate: unexpected warning: {warning}", file=sys.stderr)
    if result.returncode != 0 or unexpected:
        return 1
    print(f"validate: ok ({len(warnings)} expected warnings for responses sent by custom actions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
