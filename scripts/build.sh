#!/usr/bin/env bash
# Builds what the assistant needs: the spaCy pipeline (when the knowledge base changed) and the model.
# Rasa's own fingerprinting makes `rasa train` a no-op when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
stamp=build/spacy_zh_pos/.kb-$(cat knowledge/knowledge_base.yml scripts/build_spacy_model.py pos_expert/segmentation.py pos_expert/text.py | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python scripts/build_spacy_model.py
  touch "$stamp"
fi
if [ "${1:-}" != "--nlp-only" ]; then
  .venv/bin/rasa train --fixed-model-name pos-assistant --out models
fi
