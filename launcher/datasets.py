"""Where the evaluation data shared by the tests and the benchmarks live. They sit in the tests' folder; the
benchmarks take them from here (or from their command line), never from the tests' code."""

from launcher.env import ROOT

# The held-out typed conversations (written from the cause names and question texts only, never trained on).
TYPED_EVAL = ROOT / "tests" / "typed_eval"
# The held-out intent examples.
NLU_HOLDOUT = ROOT / "tests" / "nlu_holdout"
# Merchant cases with the facts they state and know, and the cause they must reach.
EVIDENCE_CASES = ROOT / "tests" / "fixtures" / "evidence_cases.yml"
