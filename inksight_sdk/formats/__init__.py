"""Serialized forms of ink documents: JSON, InkML and SVG (readers and writers)."""
