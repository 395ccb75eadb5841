"""Serialized forms of ink documents: JSON, InkML, Xournal++ (readers and writers), SVG and animated replays."""
