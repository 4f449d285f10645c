"""The development-set runner's set selection (bench/dev_typed.py); its servers run in the e2e tests' way."""

import pytest

from bench.dev_typed import DEV_FOLDER, dev_sets
from bench.typed import load_typed_cases


def test_every_development_set_is_found_by_its_short_name():
    sets = dev_sets([])
    assert set(sets) == {p.stem.removeprefix("conversations_") for p in DEV_FOLDER.glob("conversations_*.yml")}
    assert {"dev", "dev5"} <= set(sets)
    assert dev_sets(["dev5"]) == {"dev5": DEV_FOLDER / "conversations_dev5.yml"}


def test_an_unknown_set_name_stops_with_the_names_there_are():
    with pytest.raises(SystemExit, match="dev5"):
        dev_sets(["dev9"])


def test_every_development_set_loads_against_the_knowledge_base():
    per_set = {name: load_typed_cases(DEV_FOLDER, pattern=path.name) for name, path in dev_sets([]).items()}
    assert all(per_set.values()), per_set.keys()
    # each set's file alone, together every conversation of the folder
    assert sum(len(cases) for cases in per_set.values()) == len(load_typed_cases(DEV_FOLDER))
