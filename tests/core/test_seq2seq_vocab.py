"""The joint vocabulary (bytes + ink tokens) and the paper's prompts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inksight_sdk.seq2seq.vocab import (
    BYTE_OFFSET,
    EOS,
    INK_OFFSET,
    PAD,
    PROMPT_DERENDER,
    PROMPT_RECOGNIZE_AND_DERENDER,
    VOCAB_SIZE,
    derender_with_text,
    encode_prompt,
    encode_prompts,
    encode_target,
    split_output,
)

pytestmark = pytest.mark.jax


def test_layout_and_prompts():
    assert (PAD, EOS, BYTE_OFFSET, INK_OFFSET, VOCAB_SIZE) == (0, 1, 2, 258, 709)
    assert PROMPT_DERENDER == "Derender the ink."
    assert PROMPT_RECOGNIZE_AND_DERENDER == "Recognize and derender."
    assert derender_with_text("Ünïcode") == "Derender the ink: Ünïcode"


def test_prompts_are_cut_on_a_character_boundary():
    ids = encode_prompt("ab€", 4)  # € is three bytes: it does not fit, and is not half-written
    assert ids.tolist() == [BYTE_OFFSET + ord("a"), BYTE_OFFSET + ord("b")]
    batch, mask = encode_prompts(["ab", ""], 3)
    assert batch.shape == (2, 3) and mask.tolist() == [[True, True, False], [False, False, False]]


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=20), tokens=st.lists(st.integers(0, 450), max_size=40))
def test_target_round_trip(text, tokens):
    target = encode_target(text, tokens)
    assert target[-1] == EOS and target.max() < VOCAB_SIZE and target.min() > PAD
    back_text, back_tokens = split_output(target)
    assert back_text == text and back_tokens.tolist() == tokens


def test_split_output_stops_at_the_end_and_rejects_bad_targets():
    ids = np.array([BYTE_OFFSET + 104, INK_OFFSET + 450, INK_OFFSET + 3, EOS, BYTE_OFFSET + 120, INK_OFFSET + 1])
    assert split_output(ids)[0] == "h" and split_output(ids)[1].tolist() == [450, 3]
    with pytest.raises(ValueError):
        encode_target(None, [451])
