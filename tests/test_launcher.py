"""launcher/: the environment defaults (scripts/env.sh is generated from launcher/env.py), the conversation runner."""
import os
import subprocess
import sys
import time

from channels.limits import RATE_LIMITED_REPLY
from launcher import env
from launcher.conversation import ClickingMerchant, run_conversation


def test_env_sh_is_generated_from_launcher_env():
    result = subprocess.run([sys.executable, "-m", "launcher.env", "--check"], cwd=env.ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


SET_BY_ENV_SH = [*env.FIXED, "PYTHONPATH", *env.DEFAULTS]


def _sourced(folder, environ):
    """The variables of env.sh after `source scripts/env.sh` in `folder`, by bash itself."""
    script = f"source {env.SHELL_SCRIPT} && env -0"
    output = subprocess.run(["bash", "-c", script], cwd=folder, env=environ, capture_output=True, check=True).stdout
    variables = dict(line.split("=", 1) for line in output.decode().split("\0") if "=" in line)
    return {name: variables.get(name) for name in SET_BY_ENV_SH}


def _computed(folder, environ):
    """The same variables as launcher.env computes them."""
    computed = env.command_environment(environ, root=folder)
    return {name: computed.get(name) for name in SET_BY_ENV_SH}


def test_sourcing_env_sh_gives_what_python_computes(tmp_path):
    plain = {"PATH": os.environ["PATH"]}
    assert _sourced(tmp_path, plain) == _computed(tmp_path, plain)
    assert _sourced(tmp_path, plain)["TRACKER_DB"] == f"{tmp_path}/var/tracker.db" and (tmp_path / "var").is_dir()
    given = {**plain, "ACTION_PORT": "6000", "TRACKER_DB": "/x/t.db", "PYTHONPATH": "/lib",
             "RASA_TELEMETRY_ENABLED": "true"}
    sourced = _sourced(tmp_path, given)
    assert sourced["ACTION_ENDPOINT_URL"] == "http://localhost:6000/webhook"
    assert sourced["TRACKER_DB"] == "/x/t.db" and sourced["PYTHONPATH"] == f"/lib:{tmp_path}"
    assert sourced["RASA_TELEMETRY_ENABLED"] == "false"
    assert sourced == _computed(tmp_path, given)


def test_a_server_gets_the_fixed_variables_and_its_own_pythonpath():
    server = env.server_environment("/checkout", environ={"RASA_TELEMETRY_ENABLED": "true", "PYTHONPATH": "/x"},
                                    SANIC_HOST="127.0.0.1")
    assert server == {**env.FIXED, "PYTHONPATH": "/checkout", "SANIC_HOST": "127.0.0.1"}
    assert "PYTHONPATH" not in env.server_environment(None, environ={"PYTHONPATH": "/x"})


# --- the conversation runner, against a scripted client -------------------------------------------------
QUESTION = {"text": "交易明细里能查到这笔吗?",
            "buttons": [{"title": "能", "payload": '/inform{"transaction_record":"success"}'},
                        {"title": "不清楚", "payload": "/dont_know"}]}
SECOND = {"text": "结算状态?", "buttons": [{"title": "待结算", "payload": '/inform{"settlement_status":"not_due"}'}]}


class ScriptedClient:
    """Answers each message with the next of `answers` (an exception is raised instead of answering)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.heard = []

    def say(self, sender, text):
        self.heard.append(text)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer, 0.01

    def tracker(self, sender):
        return {"slots": {}}


def test_the_runner_clicks_what_the_merchant_knows_and_stops_without_a_question():
    client = ScriptedClient([QUESTION], [SECOND], [{"text": "结论"}])
    record = run_conversation(client, "s", ClickingMerchant("钱没到", {"transaction_record": "success"}))
    assert client.heard == ["钱没到", '/inform{"transaction_record":"success"}', "/dont_know"]
    assert record.sent == 3 and record.errors == [] and record.stop_reason == "no question asked"
    assert record.last_replies == [{"text": "结论"}]


def test_the_runner_stops_at_the_message_cap_and_after_a_failed_request():
    record = run_conversation(ScriptedClient(*[[QUESTION]] * 5), "s", ClickingMerchant("钱没到", {}), max_messages=3)
    assert record.sent == 3 and record.stop_reason == "message cap (3)"
    record = run_conversation(ScriptedClient([QUESTION], OSError("refused")), "s", ClickingMerchant("钱没到", {}))
    assert record.sent == 1 and record.stop_reason == "request failed" and record.errors == ["OSError('refused')"]
    assert record.transcript()[-2:] == [("商户", "/dont_know"), ("错误", "OSError('refused')")]


def test_an_error_reply_is_counted_and_stops_the_conversation_only_when_asked_to():
    rate_limited = [{"text": RATE_LIMITED_REPLY}, QUESTION]
    record = run_conversation(ScriptedClient(rate_limited, [{"text": "结论"}]), "s", ClickingMerchant("钱没到", {}))
    assert record.errors == ["rate limited"] and record.sent == 2 and record.stop_reason == "no question asked"
    record = run_conversation(ScriptedClient(rate_limited), "s", ClickingMerchant("钱没到", {}),
                              stop_on_error_reply=True)
    assert record.errors == ["rate limited"] and record.sent == 1 and record.stop_reason == "error reply: rate limited"


def test_a_server_process_dies_with_the_run_that_started_it(tmp_path):
    # The run is killed by a signal that skips its `finally` (SIGKILL here): its servers must not stay up.
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from launcher.servers import Servers\n"
         f"child = Servers(Path({str(tmp_path)!r}))._spawn(['sleep', '120'], 'sleep.log')\n"
         "print(child.pid, flush=True); time.sleep(120)"],
        cwd=env.ROOT, stdout=subprocess.PIPE, text=True,
    )
    child_pid = int(parent.stdout.readline())
    os.kill(child_pid, 0)  # running
    parent.kill()
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        try:  # reaped by init once it exits; until then it may linger as a zombie
            if open(f"/proc/{child_pid}/stat").read().split()[2] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {child_pid} outlived the run that started it")
