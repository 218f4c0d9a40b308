# Tiny pre-trained checkpoints for the CPU-sized reproduction (issues 7, 14, 22): `make tiny-models` builds the missing
# ones, `make tiny-models-rebuild` all of them, each from nothing (a fresh init, no earlier checkpoint, no git
# history). Building them is a tool (s0repro/tools/tiny_models.py), not a pipeline stage; each build writes
# assets/tiny/<name>/build_record.json: its recipe, its wall and CPU minutes on this machine, the base pass@1 under
# both clean-ups and the form mix. One thread each: on a shared 2-core box two OpenMP threads spin-wait.
# The GatedDeltaNet and Mamba-2 hybrids pin slow-decay heads (s0repro/models/tiny.py says why); the Transformer
# starts with a previous-token head (the record's copying_cause says why).
TINY_MODELS := minicode_gdn minicode_mamba2 minicode_transformer
TINY_ARGS_minicode_gdn := --steps 1500 --pinned-heads 3
TINY_ARGS_minicode_mamba2 := --steps 1500 --pinned-heads 2
TINY_ARGS_minicode_transformer := --steps 1500 --previous-token-heads 1

.PHONY: tiny-models tiny-models-rebuild tiny-memory

tiny-models: $(foreach m,$(TINY_MODELS),assets/tiny/$(m)/model.safetensors)

assets/tiny/%/model.safetensors:
	OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 $(PY) -m s0repro.tools.tiny_models --model conf/model/$*.yaml \
		--out assets/tiny/$* $(TINY_ARGS_$*)

tiny-models-rebuild:
	rm -f $(foreach m,$(TINY_MODELS),assets/tiny/$(m)/model.safetensors)
	$(MAKE) tiny-models

# Print how much of an initial recurrent state survives a typical prompt, per layer and head.
tiny-memory:
	$(PY) -m s0repro.tools.memory conf/model/minicode_gdn.yaml
	$(PY) -m s0repro.tools.memory conf/model/minicode_mamba2.yaml
