"""Computer vision for the embedded default: ink extraction and page layout.

:func:`extract_ink` turns a photo or scan into an ink mask (handwriting only:
no shadows, paper texture, ruling or table); :func:`detect_layout` groups the
ink into blocks, lines and words with quads. Imported by the builtin plugin
factories only, so OpenCV and scikit-image load when a page is converted, not
when :mod:`inksight_sdk` is imported.
"""

from .ink_mask import InkMask, extract_ink
from .layout import detect_layout

__all__ = ["InkMask", "extract_ink", "detect_layout"]
