"""Stage: evaluate. Sandboxed execution, prompts, generation, scoring and the verified training set.

One module a job: ``sandbox`` (run untrusted programs), ``prompts`` (model input), ``generation`` (batched,
resumable), ``sanitize`` (raw -> executed text), ``answers`` / ``sqlexec`` (math and SQL scoring), ``scoring``
(score + evaluate_model), ``verified`` (the training set). Import them directly, e.g.
``from s0repro.evaluate.scoring import score``.
"""
