#!/usr/bin/env python3
"""Tiny random Mixtral and DBRX checkpoints and their expected outputs, made with Hugging Face transformers.

Writes test/src/test/resources/hf/<variant>/ (read by test/src/test/java/io/moe4j/e2e/HfFixturesTest.java):

    mixtral-f32            MixtralForCausalLM, float32, one model.safetensors
    mixtral-bf16-sharded   the same weights rounded to bfloat16, 3+ shards + model.safetensors.index.json
    dbrx-f32               DbrxForCausalLM, float32, one model.safetensors
    dbrx-bf16              the same weights rounded to bfloat16, one model.safetensors

Each variant has config.json, generation_config.json, the weights, and expected/:

    prompt.json      {"prompt": [40 token ids]} (fixed seed, within the vocabulary, longer than the sliding window)
    logits.npy       float32 [T, V]: full-sequence forward, logits at positions 0..T-1 (no BOS added)
    incremental.npy  float32 [T, V]: the same prompt decoded one token at a time through the KV cache
                     (asserted here to equal logits.npy within 1e-5)
    greedy.json      {"prompt", "greedy": 12 tokens of generate(do_sample=False, use_cache=True, no EOS stop),
                      "margins": top1 - top2 logit at each of the 12 steps}
    meta.json        versions, seeds, router gaps (how close top-k routing came to a tie), sliding-window check

Reference computations run in float32 with attn_implementation="eager" and experts_implementation="eager".
For the bf16 variants the bf16 checkpoint is loaded back and converted with .float(): float32 math on the
bf16-rounded weights, which is what the engine does.

Tensor names are the classic Hugging Face layouts the engine reads (asserted before anything is written):
  Mixtral  model.layers.{i}.block_sparse_moe.experts.{e}.w1/w2/w3.weight, block_sparse_moe.gate.weight, ...
           (transformers 5.x keeps experts fused in memory as mlp.experts.gate_up_proj / down_proj; its
           save_pretrained converts back to per-expert names, and if it ever does not, this script does:
           w1 = gate, w3 = up, w2 = down)
  DBRX     transformer.blocks.{i}.ffn.experts.mlp.w1/v1/w2, each [E*F, D] (w2 used as h . w2_e, untransposed)
Every written checkpoint is loaded back with from_pretrained and must reproduce the in-memory model's logits.

config.json is what transformers writes, with real-checkpoint conventions restored where transformers 5.x
departs from them (see ../shared/golden/README.md):
  Mixtral  top-level "rope_theta" added (transformers 5.x writes only rope_parameters.rope_theta)
  DBRX     ffn_config.moe_normalize_expert_weights written as integer 1 (transformers 5.x needs 1.0 when
           building); attn_config.rope_theta kept; the top-level rope_parameters transformers adds is removed
           (transformers 5.x ignores attn_config.rope_theta without it, so it is passed when building/loading)

Sliding window: transformers 5.17 applies Mixtral's sliding_window in eager attention (mask
kv > q - window, i.e. the last `window` positions including the current one); this script checks it:
against a sliding_window=None run, logits agree (<= 1e-5) at positions < window and differ (> 1e-3, in
practice >= 1.6) at every position >= window.

Regenerate (from the repository root; a venv outside the repository):

    python3 -m venv /tmp/hfenv
    /tmp/hfenv/bin/pip install torch numpy safetensors transformers==5.17.0
    /tmp/hfenv/bin/python tools/hf-fixtures/make_fixtures.py

Made with: Python 3.11.7, torch 2.13.0+cpu, transformers 5.17.0, safetensors 0.8.0, numpy 2.4.6
(the local wheel index's CPU torch wheel; torch 2.14.1 from the same index needs the nvidia-* wheels too,
installed with --no-deps). The outputs are deterministic for a given torch build on CPU.
"""

import copy
import json
import os
import shutil
import sys

import numpy as np
import torch
import transformers
from safetensors import safe_open
from transformers import DbrxConfig, DbrxForCausalLM, DynamicCache, MixtralConfig, MixtralForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "src", "test", "resources", "hf")

PROMPT_LEN = 40
NEW_TOKENS = 12
SEED = 20240611
INCREMENTAL_TOL = 1e-5
RELOAD_TOL = 1e-6

MIXTRAL = dict(vocab_size=300, hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=6,
               num_key_value_heads=2, head_dim=12, num_local_experts=8, num_experts_per_tok=2, sliding_window=8,
               rope_theta=1e6, rms_norm_eps=1e-5, max_position_embeddings=4096, tie_word_embeddings=False)
DBRX = dict(vocab_size=300, d_model=48, n_layers=2, n_heads=4, kv_n_heads=2, clip_qkv=1.5, rope_theta=250000,
            ffn_hidden_size=64, moe_num_experts=8, moe_top_k=2, max_seq_len=4096)


def mixtral_config(sliding_window=MIXTRAL["sliding_window"]):
    m = dict(MIXTRAL)
    theta = m.pop("rope_theta")
    m["sliding_window"] = sliding_window
    return MixtralConfig(**m, rope_parameters={"rope_type": "default", "rope_theta": theta},
                         router_jitter_noise=0.0, attn_implementation="eager", experts_implementation="eager")


def dbrx_config():
    d = DBRX
    return DbrxConfig(
        vocab_size=d["vocab_size"], d_model=d["d_model"], n_layers=d["n_layers"], n_heads=d["n_heads"],
        max_seq_len=d["max_seq_len"], tie_word_embeddings=False,
        attn_config={"kv_n_heads": d["kv_n_heads"], "clip_qkv": d["clip_qkv"], "rope_theta": d["rope_theta"]},
        ffn_config={"ffn_hidden_size": d["ffn_hidden_size"], "moe_num_experts": d["moe_num_experts"],
                    "moe_top_k": d["moe_top_k"], "moe_normalize_expert_weights": 1.0, "moe_jitter_eps": 0.0},
        rope_parameters={"rope_type": "default", "rope_theta": float(d["rope_theta"])},
        attn_implementation="eager", experts_implementation="eager")


def randomize(model, seed, std=0.15, embed_std=0.5):
    """Weights large enough that logits are O(1) and routing is far from uniform; norms 1 + 0.1 N(0,1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if p.dim() == 1:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name or "wte" in name:
                p.copy_(embed_std * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))
    return model


# ---------------------------------------------------------------- tensor layout


def expected_names(kind):
    if kind == "mixtral":
        m = MIXTRAL
        names = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"}
        for i in range(m["num_hidden_layers"]):
            p = f"model.layers.{i}."
            names |= {p + s for s in ("input_layernorm.weight", "post_attention_layernorm.weight",
                                      "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                                      "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                                      "block_sparse_moe.gate.weight")}
            for e in range(m["num_local_experts"]):
                names |= {f"{p}block_sparse_moe.experts.{e}.{w}.weight" for w in ("w1", "w2", "w3")}
        return names
    d = DBRX
    names = {"transformer.wte.weight", "transformer.norm_f.weight", "lm_head.weight"}
    for i in range(d["n_layers"]):
        p = f"transformer.blocks.{i}."
        names |= {p + s for s in ("norm_attn_norm.norm_1.weight", "norm_attn_norm.norm_2.weight",
                                  "norm_attn_norm.attn.Wqkv.weight", "norm_attn_norm.attn.out_proj.weight",
                                  "ffn.router.layer.weight", "ffn.experts.mlp.w1", "ffn.experts.mlp.v1",
                                  "ffn.experts.mlp.w2")}
    return names


def checkpoint_files(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            return sorted(set(json.load(f)["weight_map"].values()))
    return ["model.safetensors"]


def read_checkpoint(directory):
    tensors, meta = {}, {}
    for file in checkpoint_files(directory):
        with safe_open(os.path.join(directory, file), "pt") as f:
            meta[file] = f.metadata()
            for k in f.keys():
                tensors[k] = f.get_tensor(k)
    return tensors, meta


def to_classic_mixtral(tensors):
    """Per-expert Mixtral names from fused transformers-5 tensors (only needed if save_pretrained kept them)."""
    out = {}
    for k, t in tensors.items():
        if k.endswith("mlp.experts.gate_up_proj"):
            p = k[: -len("mlp.experts.gate_up_proj")]
            f = t.shape[1] // 2
            for e in range(t.shape[0]):
                out[f"{p}block_sparse_moe.experts.{e}.w1.weight"] = t[e, :f].contiguous()
                out[f"{p}block_sparse_moe.experts.{e}.w3.weight"] = t[e, f:].contiguous()
        elif k.endswith("mlp.experts.down_proj"):
            p = k[: -len("mlp.experts.down_proj")]
            for e in range(t.shape[0]):
                out[f"{p}block_sparse_moe.experts.{e}.w2.weight"] = t[e].contiguous()
        elif ".mlp.gate.weight" in k:
            out[k.replace(".mlp.gate.weight", ".block_sparse_moe.gate.weight")] = t
        else:
            out[k] = t
    return out


def rewrite_checkpoint(directory, tensors):
    """Writes tensors back over the checkpoint's own files, keeping its sharding (tensor -> same shard)."""
    from safetensors.torch import save_file
    files = checkpoint_files(directory)
    if len(files) == 1:
        save_file(tensors, os.path.join(directory, files[0]), metadata={"format": "pt"})
        return
    # Re-shard by layer prefix order, keeping the file count.
    names = sorted(tensors)
    per = -(-len(names) // len(files))
    weight_map = {}
    for i, file in enumerate(files):
        chunk = {n: tensors[n] for n in names[i * per:(i + 1) * per]}
        save_file(chunk, os.path.join(directory, file), metadata={"format": "pt"})
        weight_map.update({n: file for n in chunk})
    size = sum(t.numel() * t.element_size() for t in tensors.values())
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": size}, "weight_map": weight_map}, f, indent=2, sort_keys=True)


def ensure_classic_layout(directory, kind):
    tensors, _ = read_checkpoint(directory)
    want = expected_names(kind)
    if set(tensors) != want and kind == "mixtral":
        print(f"  {directory}: converting fused expert tensors to per-expert names")
        tensors = to_classic_mixtral(tensors)
        rewrite_checkpoint(directory, tensors)
        tensors, _ = read_checkpoint(directory)
    missing, extra = want - set(tensors), set(tensors) - want
    assert not missing and not extra, f"{directory}: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
    return tensors


def fix_config(directory, kind):
    path = os.path.join(directory, "config.json")
    with open(path) as f:
        c = json.load(f)
    if kind == "mixtral":
        c["rope_theta"] = c["rope_parameters"]["rope_theta"]
    else:
        c["ffn_config"]["moe_normalize_expert_weights"] = 1
        c["attn_config"]["rope_theta"] = DBRX["rope_theta"]
        c.pop("rope_parameters", None)
        c["ffn_config"]["moe_jitter_eps"] = 0.0
    assert c["architectures"] == ["MixtralForCausalLM" if kind == "mixtral" else "DbrxForCausalLM"]
    with open(path, "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
        f.write("\n")


# ---------------------------------------------------------------- reference outputs


@torch.no_grad()
def full_logits(model, ids):
    return model(torch.tensor([ids]), use_cache=False).logits[0].float()


@torch.no_grad()
def incremental_logits(model, ids):
    cache = DynamicCache(config=model.config)
    rows = []
    for i, t in enumerate(ids):
        out = model(torch.tensor([[t]]), past_key_values=cache, use_cache=True,
                    position_ids=torch.tensor([[i]]))
        cache = out.past_key_values
        rows.append(out.logits[0, -1].float())
    return torch.stack(rows)


@torch.no_grad()
def greedy(model, ids):
    out = model.generate(torch.tensor([ids]), do_sample=False, use_cache=True, max_new_tokens=NEW_TOKENS,
                         min_new_tokens=NEW_TOKENS, eos_token_id=None, pad_token_id=0, output_logits=True,
                         return_dict_in_generate=True)
    tokens = out.sequences[0, len(ids):].tolist()
    margins = []
    for step, logits in enumerate(out.logits):
        top = torch.topk(logits[0].float(), 2)
        assert top.indices[0].item() == tokens[step]
        margins.append(float(top.values[0] - top.values[1]))
    # The same by hand: argmax of the full-sequence forward, one token at a time.
    seq = list(ids)
    for step in range(NEW_TOKENS):
        seq.append(int(full_logits(model, seq)[-1].argmax()))
    assert seq[len(ids):] == tokens, (seq[len(ids):], tokens)
    return tokens, margins


@torch.no_grad()
def router_gaps(model, ids, kind):
    """Smallest gap between the k-th and (k+1)-th routing probability over all tokens and layers."""
    k = MIXTRAL["num_experts_per_tok"] if kind == "mixtral" else DBRX["moe_top_k"]
    gaps = []

    def hook(_module, _inputs, output):
        logits = output[0] if isinstance(output, tuple) else output
        p = torch.softmax(logits.float().reshape(-1, logits.shape[-1]), dim=-1).sort(dim=-1, descending=True).values
        gaps.append(float((p[:, k - 1] - p[:, k]).min()))

    routers = [l.mlp.gate for l in model.model.layers] if kind == "mixtral" else \
        [b.ffn.router for b in model.transformer.blocks]
    handles = [r.register_forward_hook(hook) for r in routers]
    full_logits(model, ids)
    for h in handles:
        h.remove()
    return gaps


def write_expected(directory, model, ids, kind, meta):
    exp = os.path.join(directory, "expected")
    os.makedirs(exp, exist_ok=True)
    full = full_logits(model, ids)
    inc = incremental_logits(model, ids)
    diff = float((full - inc).abs().max())
    assert diff <= INCREMENTAL_TOL, f"{directory}: incremental vs full {diff}"
    tokens, margins = greedy(model, ids)
    gaps = router_gaps(model, ids, kind)
    np.save(os.path.join(exp, "logits.npy"), full.numpy().astype(np.float32))
    np.save(os.path.join(exp, "incremental.npy"), inc.numpy().astype(np.float32))
    with open(os.path.join(exp, "prompt.json"), "w") as f:
        json.dump({"prompt": ids}, f)
        f.write("\n")
    with open(os.path.join(exp, "greedy.json"), "w") as f:
        json.dump({"prompt": ids, "greedy": tokens, "margins": margins}, f, indent=1)
        f.write("\n")
    meta = dict(meta, incremental_vs_full_max_abs=diff, min_router_gap_per_layer=gaps,
                logits_abs_max=float(full.abs().max()), logits_std=float(full.std()),
                min_greedy_margin=min(margins))
    with open(os.path.join(exp, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"  {os.path.basename(directory)}: incremental-full {diff:.2e}, |logit| max {meta['logits_abs_max']:.2f}, "
          f"std {meta['logits_std']:.2f}, min greedy margin {min(margins):.4f}, min router gap {min(gaps):.2e}, "
          f"greedy {tokens}")
    return full


# ---------------------------------------------------------------- variants


def save_variant(model, name, kind, dtype, shard, config_for_load, meta):
    directory = os.path.join(OUT, name)
    shutil.rmtree(directory, ignore_errors=True)
    saved = copy.deepcopy(model).to(dtype)
    if shard:
        saved.save_pretrained(directory, max_shard_size=shard)
    else:
        saved.save_pretrained(directory)
    tensors = ensure_classic_layout(directory, kind)
    for t in tensors.values():
        assert t.dtype == dtype, (name, t.dtype)
    fix_config(directory, kind)
    cls = MixtralForCausalLM if kind == "mixtral" else DbrxForCausalLM
    loaded = cls.from_pretrained(directory, config=config_for_load, dtype=dtype).float().eval()
    # The written weights are exactly the in-memory ones (rounded to dtype).
    reference = {k: v.to(dtype).float() for k, v in model.state_dict().items()}
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, reference[k]), f"{name}: reloaded {k} differs"
    # The written config.json gives the same model. DBRX: with the README's two traps worked around
    # (transformers 5.x rejects the integer 1 and ignores attn_config.rope_theta).
    if kind == "mixtral":
        written = MixtralConfig.from_pretrained(directory)
    else:
        with open(os.path.join(directory, "config.json")) as f:
            c = json.load(f)
        c["ffn_config"]["moe_normalize_expert_weights"] = float(c["ffn_config"]["moe_normalize_expert_weights"])
        c["rope_parameters"] = {"rope_type": "default", "rope_theta": float(c["attn_config"]["rope_theta"])}
        written = DbrxConfig.from_dict(c)
    as_written = cls.from_pretrained(directory, config=written, dtype=dtype, attn_implementation="eager",
                                     experts_implementation="eager").float().eval()
    prompt = list(range(0, 300, 7))
    d = float((full_logits(as_written, prompt) - full_logits(loaded, prompt)).abs().max())
    assert d == 0.0, f"{name}: config.json as written gives logits off by {d}"
    files = checkpoint_files(directory)
    if shard:
        assert len(files) >= 3, f"{name}: only {len(files)} shards"
    print(f"{name}: {len(files)} weight file(s), {len(tensors)} tensors")
    return directory, loaded


def main():
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    g = torch.Generator().manual_seed(SEED + 1)
    prompt = torch.randint(0, MIXTRAL["vocab_size"], (PROMPT_LEN,), generator=g).tolist()
    assert PROMPT_LEN > MIXTRAL["sliding_window"]
    os.makedirs(OUT, exist_ok=True)
    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
                "python": sys.version.split()[0]}

    # ---- Mixtral
    mixtral = randomize(MixtralForCausalLM(mixtral_config()).eval(), SEED + 2)
    in_memory = full_logits(mixtral, prompt)
    # transformers applies the sliding window: identical logits below the window, different from it on.
    unwindowed = MixtralForCausalLM(mixtral_config(sliding_window=None)).eval()
    unwindowed.load_state_dict(mixtral.state_dict())
    per_pos = (full_logits(unwindowed, prompt) - in_memory).abs().amax(dim=-1)
    w = MIXTRAL["sliding_window"]
    assert float(per_pos[:w].max()) <= 1e-5 and bool((per_pos[w:] > 1e-3).all()), per_pos
    window_check = f"logits without the window equal (<= 1e-5) at positions < {w}, differ by >= {float(per_pos[w:].min()):.3g}"
    meta = dict(versions, seed=SEED, model="mixtral", sliding_window_check=window_check)
    for name, dtype, shard in (("mixtral-f32", torch.float32, None), ("mixtral-bf16-sharded", torch.bfloat16, "200KB")):
        directory, loaded = save_variant(mixtral, name, "mixtral", dtype, shard, mixtral_config(), meta)
        full = write_expected(directory, loaded, prompt, "mixtral", dict(meta, dtype=str(dtype)))
        if dtype == torch.float32:
            d = float((full - in_memory).abs().max())
            assert d <= RELOAD_TOL, f"{name}: reloaded checkpoint logits differ by {d}"

    # ---- DBRX
    dbrx = randomize(DbrxForCausalLM(dbrx_config()).eval(), SEED + 3)
    in_memory = full_logits(dbrx, prompt)
    meta = dict(versions, seed=SEED, model="dbrx")
    for name, dtype, shard in (("dbrx-f32", torch.float32, None), ("dbrx-bf16", torch.bfloat16, None)):
        directory, loaded = save_variant(dbrx, name, "dbrx", dtype, shard, dbrx_config(), meta)
        full = write_expected(directory, loaded, prompt, "dbrx", dict(meta, dtype=str(dtype)))
        if dtype == torch.float32:
            d = float((full - in_memory).abs().max())
            assert d <= RELOAD_TOL, f"{name}: reloaded checkpoint logits differ by {d}"

    total = 0
    for dirpath, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f"total {total / 1e6:.2f} MB in {OUT}")
    assert total < 8e6


if __name__ == "__main__":
    main()
