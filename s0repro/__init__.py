"""s0repro: a reproduction harness for S0 tuning of hybrid recurrent-attention models (arXiv 2604.01168).

The package is laid out as the pipeline runs, one sub-package a stage, data flowing one way:
conf, data -> models -> methods -> train -> evaluate -> results -> stats (and the tables in ``experiments/``);
``s0repro.run`` drives them, ``s0repro.provenance`` records what made each number.
"""

__version__ = "0.1.0"
