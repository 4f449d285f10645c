"""Custom Rasa NLU components of POS收款诊断助手.

Importing this package (every process that loads the model does) also loads runtime/: Rasa's version is
checked and the project's run-time patches are applied (runtime/rasa_patches.py, issue 11).
"""

import runtime  # noqa: F401
