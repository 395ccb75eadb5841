"""What every learned sequence-to-sequence derenderer shares, whatever runs the model.

The byte + ink vocabulary and the paper's prompts (:mod:`.vocab`) and the
batched greedy decoding loop with its stop rules and fallback
(:mod:`.decoding`) are numpy only: the JAX backend and the ONNX runtime drive
the same loop with their own step functions, so they stop, guard against
repetition and fall back identically.
"""
