"""_observe: see docs/design.md."""
