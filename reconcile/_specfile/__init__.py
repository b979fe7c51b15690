"""_specfile: see docs/design.md."""
