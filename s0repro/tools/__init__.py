"""Tools outside the pipeline chain (conf -> models -> methods -> train -> evaluate -> ...): they use the stages
like any user would, and no stage imports them. ``tiny_models`` builds the tiny checkpoints in ``assets/tiny/``."""
