"""Tiny (or real-width) random models of every model type S0 supports, for the support table and the GPU check.

Each supported type has two sets of config keywords: ``STRUCTURE`` (depth, which layer is recurrent, experts: one
recurrent mixer and at most one other layer, a dense MLP where the family allows it) and ``TINY_WIDTH`` (a 64-wide
model that runs a forward in well under a second on one CPU core). :func:`support_config` with ``real_width=True``
keeps the structure and takes every width from the transformers config class defaults, which are the published
checkpoints' (mamba: mamba-130m; kimi_linear: Kimi-Linear-48B-A3B's 32 KDA heads of 128), so the GPU check can run
the kernels at the shapes they are tuned for. The vocabulary is always ``vocab_size`` (the char tokenizer's).
"""

from __future__ import annotations

from typing import Any

from transformers import CONFIG_MAPPING, PretrainedConfig

from s0repro.models.recurrent import REFUSED, SUPPORTED_TYPES

_ATTN = {"num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32}
_GDN = {"linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 16,
        "linear_value_head_dim": 16, "linear_conv_kernel_dim": 4}
_SMALL_EXPERTS = {"moe_intermediate_size": 32, "shared_expert_intermediate_size": 32}
_GDN_PAIR = {"num_hidden_layers": 2, "layer_types": ["linear_attention", "full_attention"]}
_M2 = {"mamba_n_heads": 4, "mamba_d_head": 32, "mamba_d_state": 16, "mamba_n_groups": 1, "mamba_d_conv": 4,
       "mamba_chunk_size": 16, "mamba_expand": 2}

# config class (by model_type) per supported row; qwen3_5 rows use the text-only configs of the VL checkpoints
CONFIG_TYPE = {"qwen3_5": "qwen3_5_text", "qwen3_5_moe": "qwen3_5_moe_text"}

# MoE rows route every token to both experts: top-1 routing would make the finite-difference checks step across a
# routing boundary
STRUCTURE: dict[str, dict[str, Any]] = {
    "qwen3_5": _GDN_PAIR,
    "qwen3_5_moe": {**_GDN_PAIR, "num_experts": 2, "num_experts_per_tok": 2},
    "qwen3_next": {**_GDN_PAIR, "num_experts": 2, "num_experts_per_tok": 2},
    "olmo_hybrid": _GDN_PAIR,
    "falcon_h1": {"num_hidden_layers": 1},
    "bamba": {"num_hidden_layers": 2, "attn_layer_indices": [1]},
    "mamba2": {"num_hidden_layers": 1},
    "granitemoehybrid": {"num_hidden_layers": 2, "layer_types": ["mamba", "attention"], "num_local_experts": 0},
    "nemotron_h": {"num_hidden_layers": 2, "layers_block_type": ["mamba", "attention"]},
    "zamba2": {"num_hidden_layers": 2, "layers_block_type": ["mamba", "hybrid"], "use_mem_rope": False,
               "num_mem_blocks": 1},
    "kimi_linear": {"num_hidden_layers": 2, "layer_types": ["linear_attention", "full_attention"],
                    "mlp_layer_types": ["dense", "dense"]},
    "mamba": {"num_hidden_layers": 1},
    "falcon_mamba": {"num_hidden_layers": 1},
    "jamba": {"num_hidden_layers": 2, "attn_layer_period": 2, "attn_layer_offset": 1, "expert_layer_period": 2,
              "expert_layer_offset": 1, "num_experts": 1},
}

TINY_WIDTH: dict[str, dict[str, Any]] = {
    "qwen3_5": {**_ATTN, **_GDN},
    "qwen3_5_moe": {**_ATTN, **_GDN, **_SMALL_EXPERTS},
    "qwen3_next": {**_ATTN, **_GDN, **_SMALL_EXPERTS},
    "olmo_hybrid": {**_ATTN, **_GDN},
    "falcon_h1": {**_ATTN, "mamba_d_ssm": 64, "mamba_n_heads": 4, "mamba_d_head": 16, "mamba_d_state": 16,
                  "mamba_n_groups": 1, "mamba_d_conv": 4, "mamba_chunk_size": 16},
    "bamba": {**_ATTN, **_M2},
    "mamba2": {"num_heads": 4, "head_dim": 32, "state_size": 16, "n_groups": 1, "conv_kernel": 4, "chunk_size": 16,
               "expand": 2},
    "granitemoehybrid": {**_ATTN, **_M2, "shared_intermediate_size": 128},
    "nemotron_h": {**_ATTN, "mamba_num_heads": 4, "mamba_head_dim": 16, "ssm_state_size": 16, "n_groups": 1,
                   "conv_kernel": 4, "chunk_size": 16},
    "zamba2": {"num_attention_heads": 2, "num_key_value_heads": 2, "n_mamba_heads": 4, "mamba_headdim": 32,
               "mamba_d_state": 16, "mamba_ngroups": 1, "mamba_d_conv": 4, "chunk_size": 16, "mamba_expand": 2},
    "kimi_linear": {"num_attention_heads": 2, "num_key_value_heads": 2, "linear_num_heads": 4, "linear_head_dim": 16,
                    "linear_conv_kernel_dim": 4, "q_lora_rank": None, "kv_lora_rank": 16, "qk_nope_head_dim": 16,
                    "qk_rope_head_dim": 16, "v_head_dim": 16},
    "mamba": {"state_size": 8, "expand": 2, "conv_kernel": 4, "time_step_rank": 8},
    "falcon_mamba": {"state_size": 8, "expand": 2, "conv_kernel": 4, "time_step_rank": 8},
    "jamba": {**_ATTN, "mamba_d_state": 8, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_dt_rank": 8},
}
# initializer_range 0.1 (not 0.02): a random tiny model's state then visibly moves its logits (as in tiny_mamba2)
_TINY_COMMON = {"hidden_size": 64, "intermediate_size": 128, "max_position_embeddings": 256, "initializer_range": 0.1}


def support_config(model_type: str, *, vocab_size: int, pad_token_id: int, eos_token_id: int,
                   real_width: bool = False, **overrides: Any) -> PretrainedConfig:
    """The config of ``model_type``'s test model (``overrides``: any other config keywords, e.g. more layers); an
    unknown or refused type is a ValueError naming the supported."""
    if model_type not in STRUCTURE:
        why = f" ({REFUSED[model_type]})" if model_type in REFUSED else ""
        raise ValueError(f"model type {model_type!r} is not supported{why}; supported: {', '.join(SUPPORTED_TYPES)}")
    width = {} if real_width else {**_TINY_COMMON, **TINY_WIDTH[model_type]}
    fields = {**STRUCTURE[model_type], **width, "vocab_size": vocab_size, "pad_token_id": pad_token_id,
              "eos_token_id": eos_token_id, "bos_token_id": eos_token_id, "tie_word_embeddings": True, **overrides}
    return CONFIG_MAPPING[CONFIG_TYPE.get(model_type, model_type)](**fields)
