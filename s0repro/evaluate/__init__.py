"""Stage: evaluate. Sandboxed execution, generation, scoring and the verified training set.

The model input for a problem comes with the task's data (:func:`s0repro.data.render_prompt`).
One module a job: ``sandbox`` (run untrusted programs; a package, one module a job), ``generation`` (batched,
resumable), ``sanitize`` (raw -> executed text), ``answers`` / ``sqlexec`` (math and SQL scoring), ``scoring``
(score + evaluate_model), ``verified`` (the training set). Import them directly, e.g.
``from s0repro.evaluate.scoring import score``.
"""
