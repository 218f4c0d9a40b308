# Tables (issue 6): the paper's tables from result files, and the sweeps that produce them.
#   make tables                       render every table, figure and the claims report from the results on disk
#                                     (SCALE=auto: the scale(s) found there; SCALE=full|tiny to choose)
#   make reproduce-table1             run Table 1's sweep (resumable: finished cells are skipped), then render;
#                                     SCALE=auto: the paper's scale where CUDA is present, the CPU-sized one otherwise
#   make reproduce-table1 SCALE=tiny  the same experiment files at scale=tiny (conf/scale/tiny.yaml: tiny models on
#                                     minicode); SCALE=full insists on the paper's
# RESULTS / TABLES_OUT move the folders; SEEDS=0..2 (or 42,7,123) overrides the experiment's seeds (its own by
# default: conf/protocol/paper.yaml, or the scale's).
RESULTS ?= results
TABLES_OUT ?= $(RESULTS)/tables
# The scale a sweep runs at: SCALE, or with SCALE=auto what this machine can run (asked of torch once, on first use).
RUN_SCALE = $(eval RUN_SCALE := $(if $(filter auto,$(SCALE)),$(shell $(PY) -c \
	"import torch; print('full' if torch.cuda.is_available() else 'tiny')" 2>/dev/null || echo tiny),$(SCALE)))$(RUN_SCALE)
# One line when auto falls back to the CPU-sized sweep ($(1): what runs).
announce = $(if $(and $(filter auto,$(SCALE)),$(filter tiny,$(RUN_SCALE))),@echo "no GPU: running the CPU-sized $(1); SCALE=full to insist")
# Every sweep runs the paper's experiment file at the chosen scale; SEEDS, when given, replaces its seeds.
RUN = $(PY) -m s0repro.run results_dir=$(RESULTS) scale=$(RUN_SCALE)
seed_arg = $(if $(SEEDS),'seed=$(SEEDS)',)
RENDER_ARGS = --results $(RESULTS) --out $(TABLES_OUT) --scale $(SCALE)
RUN_RENDER_ARGS = --results $(RESULTS) --out $(TABLES_OUT) --scale $(RUN_SCALE)

.PHONY: tables reproduce-table1 reproduce-table2 reproduce-table3 reproduce-transfer reproduce-prefix-control \
	reproduce-scaling

tables:
	$(PY) -m experiments $(RENDER_ARGS)

reproduce-table1:
	$(call announce,Table 1)
	$(RUN) +exp=table1 $(seed_arg)
	$(PY) -m experiments.table1 $(RUN_RENDER_ARGS)
	$(PY) -m experiments.claims $(RUN_RENDER_ARGS)

reproduce-table2:
	$(call announce,Table 2)
	$(RUN) +exp=lora_budget $(seed_arg)
	$(PY) -m experiments.table2 $(RUN_RENDER_ARGS)

# Table 3 is the paired S0 / state-offset rerun: the same cells as Table 1's Qwen3.5 column.
reproduce-table3:
	$(call announce,Table 3)
	$(RUN) +exp=qwen3_5 $(seed_arg)
	$(PY) -m experiments.table3 $(RUN_RENDER_ARGS)

reproduce-transfer:  # no tiny counterpart of these tasks: always the paper's scale
	$(PY) -m s0repro.run results_dir=$(RESULTS) +exp=transfer_math500 $(seed_arg)
	$(PY) -m s0repro.run results_dir=$(RESULTS) +exp=transfer_gsm8k $(seed_arg)
	$(PY) -m s0repro.run results_dir=$(RESULTS) +exp=spider $(seed_arg)
	$(PY) -m experiments.transfer $(RENDER_ARGS)

reproduce-prefix-control:
	$(call announce,prefix-tuning control)
	$(RUN) +exp=prefix_control $(seed_arg)
	$(PY) -m experiments.prefix_control $(RUN_RENDER_ARGS)

reproduce-scaling:
	$(PY) -m s0repro.run -m results_dir=$(RESULTS) +exp=scaling model=qwen3_5_0_8b,qwen3_5_2b,qwen3_5_9b $(seed_arg)
	$(PY) -m experiments.scaling $(RENDER_ARGS)
