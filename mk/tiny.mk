# Tiny pre-trained checkpoints for the CPU-sized reproduction (issue 7): `make tiny-models` builds the missing ones,
# `make tiny-models-rebuild` all of them. Each takes ~15 min on one busy CPU thread (1000 steps); see
# assets/tiny/<name>/build_record.json for how the shipped ones were made.
TINY_MODELS := minicode_gdn minicode_mamba2 minicode_transformer
# Per-model pre-training steps (the rest are s0repro/train/pretrain.py defaults).
TINY_STEPS_minicode_gdn := 1000
TINY_STEPS_minicode_mamba2 := 1000
TINY_STEPS_minicode_transformer := 1000

.PHONY: tiny-models tiny-models-rebuild tiny-memory

tiny-models: $(foreach m,$(TINY_MODELS),assets/tiny/$(m)/model.safetensors)

assets/tiny/%/model.safetensors:
	$(PY) -m s0repro.train.pretrain --model conf/model/$*.yaml --out assets/tiny/$* --steps $(TINY_STEPS_$*)

tiny-models-rebuild:
	rm -f $(foreach m,$(TINY_MODELS),assets/tiny/$(m)/model.safetensors)
	$(MAKE) tiny-models

# Print how much of an initial recurrent state survives a typical prompt, per layer and head.
tiny-memory:
	$(PY) -m s0repro.models.memory conf/model/minicode_gdn.yaml
	$(PY) -m s0repro.models.memory conf/model/minicode_mamba2.yaml
