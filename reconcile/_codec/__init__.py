"""_codec: see docs/design.md."""
