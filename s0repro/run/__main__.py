"""``python -m s0repro.run ...``: see :mod:`s0repro.run`."""

from s0repro.run.cli import main

main()
