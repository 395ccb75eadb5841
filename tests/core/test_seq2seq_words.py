"""Crop/prompt handling shared by the learned derenderers (numpy only, no model needed)."""

import logging

import numpy as np

from inksight_sdk.seq2seq.decoding import Derendering
from inksight_sdk.seq2seq.words import derender_crops, letterbox, prompt_for
from inksight_sdk.stages import Mode, WordCrop
from inksight_sdk.tokenizer import encode_ink


def test_prompts_follow_the_mode():
    assert prompt_for(Mode.VANILLA, "cat") == "Derender the ink."
    assert prompt_for(Mode.TEXT, "cat") == "Derender the ink: cat"
    assert prompt_for(Mode.TEXT, None) == "Derender the ink."  # no transcription: vanilla
    assert prompt_for(Mode.RECOGNIZE, "cat") == "Recognize and derender."


def test_letterbox_keeps_aspect_and_centres():
    image = np.zeros((50, 200, 3), np.uint8)
    canvas, scale, dx, dy = letterbox(image, 224, (255, 255, 255))
    assert canvas.shape == (224, 224, 3) and scale == 224 / 200 and dx == 0 and dy == (224 - 56) // 2
    assert canvas[0, 0].tolist() == [255, 255, 255] and canvas[112, 112].tolist() == [0, 0, 0]


def test_ink_maps_back_to_crop_pixels_and_cut_words_carry_a_warning():
    crop = WordCrop(image=np.full((50, 200, 3), 255, np.uint8), content=np.zeros((4, 2)))
    _, scale, dx, dy = letterbox(crop.image, 224, (255, 255, 255))
    truth = np.array([[10.0, 10.0], [150.0, 40.0]], np.float32)  # crop pixels
    tokens = encode_ink([truth * scale + [dx, dy]])

    def decode(images, prompts):
        assert images.shape == (2, 224, 224, 3) and prompts == ["Derender the ink."] * 2
        return [Derendering("", tokens, stop, prompts[0]) for stop in ("eos", "repetition")]

    words = derender_crops(
        [crop, crop], Mode.VANILLA, decode, size=224, fill=(255, 255, 255), batch_size=8, log=logging.getLogger("t")
    )
    assert [w.warning is None for w in words] == [True, False] and "repetition guard" in words[1].warning
    for word in words:
        np.testing.assert_allclose(word.strokes[0].points, truth, atol=0.5 / scale + 1e-4)
        assert word.text is None
