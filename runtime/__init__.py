"""Run-time adjustments of Rasa that this project loads in every Rasa process (issue 11).

Importing this package (nlu_components/__init__.py does, so every process that loads the model does;
so does endpoints.yml's tracker store) checks the Rasa version and applies the patches in
runtime/rasa_patches.py. An upgrade of Rasa without reviewing them fails loudly at start-up instead of
leaving a stale patch in place: see docs/rasa-upstream.md.
"""

from runtime.rasa_patches import SUPPORTED_RASA_VERSION, apply_patches, check_rasa_version

check_rasa_version()
apply_patches()

__all__ = ["SUPPORTED_RASA_VERSION", "apply_patches", "check_rasa_version"]
