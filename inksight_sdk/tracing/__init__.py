"""The classical stroke tracer: an ink mask in, pen strokes in writing order out.

The heart of the embedded ``skeleton`` derenderer; it needs no weights and
runs on the CPU. See :func:`trace_mask`.
"""

from .trace import SCRIPTS, TracedStroke, trace_mask

__all__ = ["SCRIPTS", "TracedStroke", "trace_mask"]
