"""_emulator: see docs/design.md."""
