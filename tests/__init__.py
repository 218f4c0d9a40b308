"""s0repro test suite (a regular package, so it shadows the stray `tests` package some dependency installs)."""
