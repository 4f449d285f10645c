"""domain.yml's signal entities, slots and form slots are generated from the knowledge base and must not go stale."""

import dataclasses

import pytest
import yaml

from pos_expert import domain_blocks
from pos_expert.domain_blocks import BEGIN, DOMAIN_PATH, END, DomainBlocksError, render_domain, stale_blocks


@pytest.fixture(scope="module")
def domain_text():
    return DOMAIN_PATH.read_text(encoding="utf-8")


def test_the_generated_blocks_are_up_to_date(kb, domain_text):
    assert stale_blocks(domain_text, kb) == [], "run `make domain`"
    assert render_domain(domain_text, kb) == domain_text, "run `make domain`"


def test_the_check_command_passes_on_the_committed_domain():
    assert domain_blocks.main(["--check"]) == 0


def test_the_generated_domain_has_every_signal_in_knowledge_base_order(kb, domain_text):
    domain = yaml.safe_load(render_domain(domain_text, kb))
    asked = [s.id for s in kb.signals if not s.derived]
    assert domain["entities"] == asked
    assert domain["forms"]["diagnosis_form"]["required_slots"] == asked
    assert list(domain["slots"])[: len(kb.signals)] == kb.signal_ids
    for signal_id in kb.signal_ids:
        assert domain["slots"][signal_id] == {
            "type": "text",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        }


def test_a_derived_signal_has_a_slot_but_is_neither_an_entity_nor_asked(kb, domain_text):
    derived = [s.id for s in kb.signals if s.derived]
    assert "payout_due" in derived
    domain = yaml.safe_load(domain_text)
    for signal_id in derived:
        assert signal_id in domain["slots"]
        assert signal_id not in domain["entities"]
        assert signal_id not in domain["forms"]["diagnosis_form"]["required_slots"]


def test_a_new_signal_in_the_knowledge_base_makes_the_domain_stale(kb, domain_text):
    """The check can fail: a signal added to the knowledge base is missing from all three blocks."""
    new = dataclasses.replace(kb.signals[0], id="card_brand")
    changed = dataclasses.replace(kb, signals=kb.signals + (new,))
    assert stale_blocks(domain_text, changed) == list(domain_blocks.BLOCKS)
    regenerated = yaml.safe_load(render_domain(domain_text, changed))
    assert regenerated["entities"][-1] == "card_brand"
    assert "card_brand" in regenerated["slots"]
    assert regenerated["forms"]["diagnosis_form"]["required_slots"][-1] == "card_brand"


def test_a_hand_edit_inside_a_block_makes_the_domain_stale(kb, domain_text):
    edited = domain_text.replace("- income_check\n", "", 1)  # the first one is in the entities block
    assert stale_blocks(edited, kb) == ["signal entities"]
    assert render_domain(edited, kb) == domain_text


def test_text_outside_the_markers_is_left_as_it_is(kb, domain_text):
    edited = domain_text.replace("session_expiration_time: 60", "session_expiration_time: 30")
    assert stale_blocks(edited, kb) == []
    assert render_domain(edited, kb) == edited


def test_a_missing_marker_is_reported_by_name(kb, domain_text):
    marker = END.format(name="signal slots")
    with pytest.raises(DomainBlocksError, match="signal slots block not found"):
        render_domain(domain_text.replace(marker, ""), kb)
    begin = BEGIN.format(name="signal entities")
    with pytest.raises(DomainBlocksError, match="found 2 times"):
        render_domain(domain_text.replace(begin, begin + "\n" + begin), kb)


def test_the_check_command_fails_on_a_stale_domain(tmp_path, monkeypatch, domain_text, caplog):
    stale = tmp_path / "domain.yml"
    stale.write_text(domain_text.replace("- income_check\n", "", 1), encoding="utf-8")
    monkeypatch.setattr(domain_blocks, "DOMAIN_PATH", stale)
    assert domain_blocks.main(["--check"]) == 1
    assert "domain.yml is stale: the signal entities block(s) differ" in caplog.text
    assert "make domain" in caplog.text
    assert domain_blocks.main([]) == 0
    assert stale.read_text(encoding="utf-8") == domain_text
