"""_schema: see docs/design.md."""
