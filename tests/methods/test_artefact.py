"""Saved artefacts: a truncated tensor or config file is one line naming the file, never a library traceback."""

from __future__ import annotations

import pytest

from s0repro.methods import ArtefactMismatchError, build_method


@pytest.mark.parametrize("broken", ["s0_state.safetensors", "s0_config.json"])
def test_a_truncated_file_is_one_error_naming_it(tiny_gdn, tmp_path, broken):
    method = build_method("s0", {"alpha": 1.0})
    method.attach(tiny_gdn.model)
    folder = method.save(tmp_path / "state")
    path = folder / broken
    assert path.is_file()
    method.load(folder)  # intact: loads
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ArtefactMismatchError) as err:
        method.load(folder)
    message = str(err.value)
    assert str(path) in message and "not a readable S0 state file" in message
    assert "\n" not in message
