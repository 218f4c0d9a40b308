# The paper's ablations (issue 13): sampled pass@k, layer groups, data size, alpha sweeps. Each target runs its
# experiments (resumable: finished cells are skipped) and renders its table; `make tables` renders them all.
#   make reproduce-ablations              SCALE=auto: the paper's scale where CUDA is present, the CPU-sized one otherwise
#   make reproduce-ablations SCALE=full   all four at full scale (GPU, the paper's seeds)
#   make reproduce-ablations SCALE=tiny   the CPU-sized versions (tiny models on minicode; time on 2 cores: docs/tiny-results.md)
#   make reproduce-alpha FALCON_ALPHAS=0.07,0.65   a shorter sweep; SEEDS=... as for the other targets
# Sweeps use Hydra's multirun (-m): one experiment per value, e.g. results/data_size_n10, results/alpha_falcon_a0.65.
DATA_SIZES ?= 10,25,50
FALCON_ALPHAS ?= 0.07,0.3,0.5,0.6,0.65,0.7,1.0,2.0
QWEN_ALPHAS ?= 0.03,0.05,0.07,0.1,0.15
TINY_ALPHAS ?= 0.25,1.0,4.0
# A sweep: Hydra's -m must come before every override (argparse: flags, then the overrides).
SWEEP = $(PY) -m s0repro.run -m results_dir=$(RESULTS) scale=$(RUN_SCALE)

.PHONY: reproduce-ablations reproduce-passk reproduce-layer-groups reproduce-data-size reproduce-alpha

reproduce-ablations: reproduce-passk reproduce-layer-groups reproduce-data-size reproduce-alpha
	$(PY) -m experiments.claims $(RUN_RENDER_ARGS)

reproduce-passk:
	$(call announce,pass@k table)
	$(RUN) +exp=passk $(seed_arg)
	$(PY) -m experiments.passk $(RUN_RENDER_ARGS)

reproduce-layer-groups:
	$(call announce,layer-group table)
	$(RUN) +exp=layer_groups $(seed_arg)
	$(PY) -m experiments.layer_groups $(RUN_RENDER_ARGS)

reproduce-data-size:
	$(call announce,data-size sweep)
	$(SWEEP) +exp=data_size train.data_size=$(DATA_SIZES) $(seed_arg)
	$(PY) -m experiments.data_size $(RUN_RENDER_ARGS)

reproduce-alpha:
	$(call announce,alpha sweeps)
	$(SWEEP) +exp=alpha_falcon \
		arms.s0.method.alpha=$(if $(filter tiny,$(RUN_SCALE)),$(TINY_ALPHAS),$(FALCON_ALPHAS)) $(seed_arg)
	$(SWEEP) +exp=alpha_qwen \
		arms.s0.method.alpha=$(if $(filter tiny,$(RUN_SCALE)),$(TINY_ALPHAS),$(QWEN_ALPHAS)) $(seed_arg)
	$(PY) -m experiments.alpha $(RUN_RENDER_ARGS)
