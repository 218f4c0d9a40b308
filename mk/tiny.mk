# Tiny pre-trained checkpoints for the CPU-sized reproduction (issues 7, 14): `make tiny-models` builds the missing
# ones, `make tiny-models-rebuild` all of them. Building them is a tool (s0repro/tools/tiny_models.py), not a pipeline
# stage; assets/tiny/<name>/build_record.json says how each shipped one was made.
#
# Two stages. Stage 1 is the first build (issue 7: 1000 steps from scratch, ~12-15 min on one idle CPU thread),
# taken as committed in TINY_STAGE1_COMMIT. Stage 2 continues it with slow-decay heads pinned in every recurrent
# layer (s0repro/models/tiny.py says why they are needed) and the corpus's output forms. The Transformer has a third:
# its stage-2 build (TINY_STAGE2_COMMIT) continued with a seeded previous-token head, without which it never learned
# to copy from the prompt (build_record.json: copying_cause).
TINY_MODELS := minicode_gdn minicode_mamba2 minicode_transformer
TINY_STAGE1_COMMIT := 2d1e1c2
TINY_STAGE1 := .cache/tiny-stage1
TINY_STAGE2_COMMIT := 823e5fb
TINY_STAGE2 := .cache/tiny-stage2
TINY_INIT_minicode_gdn := $(TINY_STAGE1)
TINY_INIT_minicode_mamba2 := $(TINY_STAGE1)
TINY_INIT_minicode_transformer := $(TINY_STAGE2)
TINY_ARGS_minicode_gdn := --steps 300 --pinned-heads 3
TINY_ARGS_minicode_mamba2 := --steps 300 --pinned-heads 2
TINY_ARGS_minicode_transformer := --steps 700 --previous-token-heads 1

.PHONY: tiny-models tiny-models-rebuild tiny-memory

tiny-models: $(foreach m,$(TINY_MODELS),assets/tiny/$(m)/model.safetensors)

$(TINY_STAGE1)/%/model.safetensors:
	mkdir -p $(TINY_STAGE1)/$*
	git archive $(TINY_STAGE1_COMMIT) assets/tiny/$* | tar -x -C $(TINY_STAGE1)/$* --strip-components=3

$(TINY_STAGE2)/%/model.safetensors:
	mkdir -p $(TINY_STAGE2)/$*
	git archive $(TINY_STAGE2_COMMIT) assets/tiny/$* | tar -x -C $(TINY_STAGE2)/$* --strip-components=3

.SECONDEXPANSION:
assets/tiny/%/model.safetensors: | $$(TINY_INIT_$$*)/%/model.safetensors
	OMP_NUM_THREADS=1 $(PY) -m s0repro.tools.tiny_models --model conf/model/$*.yaml --out assets/tiny/$* \
		--init-from $(TINY_INIT_$*)/$* $(TINY_ARGS_$*)

tiny-models-rebuild:
	rm -f $(foreach m,$(TINY_MODELS),assets/tiny/$(m)/model.safetensors)
	$(MAKE) tiny-models

# Print how much of an initial recurrent state survives a typical prompt, per layer and head.
tiny-memory:
	$(PY) -m s0repro.tools.memory conf/model/minicode_gdn.yaml
	$(PY) -m s0repro.tools.memory conf/model/minicode_mamba2.yaml
