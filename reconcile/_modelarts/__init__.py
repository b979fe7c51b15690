"""_modelarts: see docs/design.md."""
