"""The node's selection rule, from the table the ComfyUI glue's TypeScript test reads too
(tests/data/selection-cases.json): the glue highlights the slot the Python node will run."""

import json
from pathlib import Path

import pytest

from image_pool.pools.manifest import Manifest, Slot

TABLE = json.loads((Path(__file__).parent / "data" / "selection-cases.json").read_text())


def slot(slot_id: str) -> Slot:
    return Slot(slot_id, "0" * 64 + ".png", None, "", "", 1, 1, 0.0)


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["case"] for c in TABLE["cases"]])
def test_the_node_runs_the_slot_the_table_says(case):
    manifest = Manifest("00000000-0000-4000-8000-000000000000", 1, case["active"], [slot(s) for s in case["slots"]])
    chosen = manifest.select(case["index"], case["slot_id"])
    assert (chosen.index if chosen else None) == case["runs"]
    if chosen:
        assert chosen.slot.id == case["slots"][case["runs"]]
