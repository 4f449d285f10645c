"""The custom-action reference bot: what a typical Rasa bot with custom actions costs (issue 11).

A minimal Rasa 3.6 bot, written into a temporary folder: Rasa's default (auto-filled) pipeline and
policies as `rasa init` leaves them, one form (`pizza_form`, two slots filled from the text) and a custom
validation action (`validate_pizza_form`, a rasa_sdk FormValidationAction) on its own action server,
so every answer inside the form is a round trip to the action server, as in most production bots.
The conversation is: greet, ask for a pizza, size, type, (submitted), goodbye.

    python -m bench.reference   # trains it and runs a few conversations (a check of the set-up)
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Dict, Optional

from bench.load import ScriptDialogue
from bench.servers import RASA, start_baseline_rasa
from launcher.env import server_environment
from launcher.servers import LOOPBACK, TOKEN, Servers, free_port, wait_until_up

FILES: Dict[str, str] = {
    "config.yml": """recipe: default.v1
assistant_id: reference-form-bot
language: en
pipeline:
policies:
""",
    "domain.yml": """version: "3.1"
intents: [greet, goodbye, order_pizza, inform]
slots:
  pizza_size:
    type: text
    influence_conversation: false
    mappings:
    - type: from_text
      conditions:
      - active_loop: pizza_form
        requested_slot: pizza_size
  pizza_type:
    type: text
    influence_conversation: false
    mappings:
    - type: from_text
      conditions:
      - active_loop: pizza_form
        requested_slot: pizza_type
forms:
  pizza_form:
    required_slots: [pizza_size, pizza_type]
responses:
  utter_greet:
  - text: "Hello! What can I do for you?"
  utter_ask_pizza_size:
  - text: "What size: small, medium or large?"
  utter_ask_pizza_type:
  - text: "Which pizza would you like?"
  utter_submit:
  - text: "Thanks, a {pizza_size} {pizza_type} pizza is on its way."
  utter_goodbye:
  - text: "Bye!"
actions: [validate_pizza_form]
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
""",
    "data/nlu.yml": """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - hey there
    - good morning
    - good evening
- intent: goodbye
  examples: |
    - bye
    - goodbye
    - see you
    - see you later
    - bye bye
- intent: order_pizza
  examples: |
    - I want a pizza
    - can I order a pizza
    - I'd like to order pizza
    - pizza please
    - I want to order food
- intent: inform
  examples: |
    - large
    - small
    - medium
    - pepperoni
    - margherita
    - hawaiian
    - a large one
    - the small one
""",
    "data/rules.yml": """version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: goodbye
  steps:
  - intent: goodbye
  - action: utter_goodbye
- rule: activate the form
  steps:
  - intent: order_pizza
  - action: pizza_form
  - active_loop: pizza_form
- rule: submit the form
  condition:
  - active_loop: pizza_form
  steps:
  - action: pizza_form
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_submit
""",
    "data/stories.yml": """version: "3.1"
stories:
- story: order
  steps:
  - intent: greet
  - action: utter_greet
  - intent: order_pizza
  - action: pizza_form
  - active_loop: pizza_form
  - active_loop: null
  - action: utter_submit
  - intent: goodbye
  - action: utter_goodbye
""",
    "actions/__init__.py": "",
    "actions/actions.py": '''from typing import Any, Dict, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

SIZES = {"small", "medium", "large"}


class ValidatePizzaForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_pizza_form"

    def validate_pizza_size(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: Dict) -> Dict[Text, Any]:
        words = set(str(value or "").lower().split())
        size = next(iter(words & SIZES), None)
        if size is None:
            dispatcher.utter_message(text="Sorry, small, medium or large?")
        return {"pizza_size": size}

    def validate_pizza_type(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: Dict) -> Dict[Text, Any]:
        text = str(value or "").strip().lower()
        return {"pizza_type": text or None}
''',
    "endpoints.yml": """action_endpoint:
  url: ${ACTION_ENDPOINT_URL}
""",
    "credentials.yml": "rest:\n",
}

SCRIPTS = (
    ("hi", "I want a pizza", "large", "pepperoni", "bye"),
    ("hello", "can I order a pizza", "small", "margherita", "goodbye"),
    ("hey there", "pizza please", "medium", "hawaiian", "see you"),
    ("good morning", "I'd like to order pizza", "large", "margherita", "bye bye"),
)


def reference_traffic(label: str):
    def make(index: int):
        return f"ref-{label}-{index}", ScriptDialogue(SCRIPTS[index % len(SCRIPTS)])
    return make


class ReferenceAssistant:
    """Writes, trains and serves the reference bot (Rasa server + action server on loopback)."""

    def __init__(self, tmp: Path):
        self.dir = tmp / "reference"
        self.port, self.action_port = free_port(), free_port()
        self.process: Optional[subprocess.Popen] = None
        self.actions: Optional[subprocess.Popen] = None
        self.env = server_environment(pythonpath=self.dir, SANIC_HOST=LOOPBACK,
                                      ACTION_ENDPOINT_URL=f"http://{LOOPBACK}:{self.action_port}/webhook")

    def write_and_train(self, timeout: float = 1800) -> float:
        for name, text in FILES.items():
            path = self.dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        with open(self.dir.parent / "reference-train.log", "ab") as log:
            subprocess.run([RASA, "train", "--out", "models", "--fixed-model-name", "reference"], cwd=self.dir,
                           env=self.env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=timeout)
        return time.perf_counter() - started

    def start(self) -> None:
        log = open(self.dir.parent / "reference-actions.log", "ab")
        self.actions = subprocess.Popen([RASA, "run", "actions", "--port", str(self.action_port), "--actions",
                                         "actions"], cwd=self.dir, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_up(f"http://{LOOPBACK}:{self.action_port}/health", self.actions)
        self.process = start_baseline_rasa(self.dir, self.port, self.env, self.dir.parent / "reference-rasa.log",
                                           "--model", "models/reference.tar.gz", "--endpoints", "endpoints.yml")

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def close(self) -> None:
        Servers.stop(self.process)
        Servers.stop(self.actions)


if __name__ == "__main__":
    import tempfile

    from bench.load import run_load
    from launcher.conversation import RestClient, run_conversation

    with tempfile.TemporaryDirectory(prefix="pos-reference-") as folder:
        ref = ReferenceAssistant(Path(folder))
        print(f"trained in {ref.write_and_train():.0f}s")
        ref.start()
        try:
            client = RestClient(ref.url, TOKEN)
            for script in SCRIPTS[:2]:
                for turn in run_conversation(client, f"check-{script[0]}", ScriptDialogue(script)).turns:
                    print(f"{turn.text!r:30} {turn.latency * 1000:6.1f} ms  {[r.get('text') for r in turn.replies]}")
            print(run_load(client, reference_traffic("check"), 20, 1))
        finally:
            ref.close()
