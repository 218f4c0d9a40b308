"""Stage 3: train a method's parameters on (prompt, completion) examples with a completion-only loss."""

from s0repro.train.loop import TrainConfig, TrainExample, TrainResult, completion_loss, train

__all__ = ["TrainConfig", "TrainExample", "TrainResult", "completion_loss", "train"]
