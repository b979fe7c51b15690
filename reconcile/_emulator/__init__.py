"""_emulator: a local ModelArts notebook API for tests and demos; see docs/design.md.

Modules: `settings` (the credentials accepted, the faults injected), `store` (the notebooks, behind
a lock), `server` (the HTTP server, `Emulator`) and `cli` (the `reconcile emulator` command).
"""
