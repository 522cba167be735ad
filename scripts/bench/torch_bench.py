#!/usr/bin/env python3
"""PyTorch reference for `hbt bench`: the same work on identical inputs, timed the same way.

Each subcommand reads a folder that hbt wrote with `--export DIR` and prints one JSON object
(the same keys hbt's `--json` files use for the same quantities):

  train DIR   `hbt bench train --export DIR`: transformers.BertModel loaded from DIR/model
              (hbt's initial weights), the batches of DIR/batches.json, mean pooling + L2 norm,
              InfoNCE, torch.optim.AdamW, clip_grad_norm_; warm-up steps, then timed passes.
              `--length-buckets N` runs each side as N length groups, as hbt's option does.
  encode DIR  `hbt bench encode --export DIR`: the model of DIR/model in eval mode on the
              sequences of DIR/sequences.json, sorted by length and batched as hbt does;
              also the largest difference from hbt's embeddings (DIR/embeddings.f32).
  search DIR  `hbt bench eval --export DIR`: one matrix product of all questions against the
              whole pool plus top-k, in blocks of queries as hbt searches.

Threads: `--threads` (default 2) for intra-op work, 1 inter-op thread. Peak memory is the
process's peak resident set (VmHWM), reset before the timed part through
/proc/self/clear_refs, as hbt does.

Needs `pip install torch transformers` (a virtual environment outside the repository).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy
import torch
import transformers


def peak_rss_mib():
    """Peak resident memory since the last reset, MiB (Linux), else None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def timed(work, repeats):
    """Runs `work` `repeats` times after resetting the peak memory; returns the seconds of each
    run and the peak resident memory (MiB) over them."""
    reset_peak_rss()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds, peak_rss_mib()


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def inverse(s, numerator):
    """Seconds spread -> rate spread (min stays the smallest)."""
    return {"min": numerator / s["max"], "median": numerator / s["median"], "max": numerator / s["min"]}


def gemm_peak_gflops(n=2048, repeats=5):
    """Best GFLOP/s of an n x n by n x n f32 product (one warm-up), as hbt measures it."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2.0 * n**3 / best / 1e9


def forward_flops(config, rows, length):
    """Matrix-product FLOPs of one forward pass, counted exactly as hbt counts them."""
    h, f, l = config.hidden_size, config.intermediate_size, length
    per_layer = 2.0 * (4 * l * h * h + 2 * l * h * f + 2 * l * l * h)
    return rows * per_layer * config.num_hidden_layers


def pad(sequences, pad_id):
    """ids and attention mask tensors, padded to the longest sequence."""
    length = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for row, s in enumerate(sequences):
        ids[row, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[row, : len(s)] = 1
    return ids, mask


def embed(model, ids, mask):
    """Masked mean pooling of the last hidden states (hbt's pooling), L2-normalised when the
    exported config says so (`hbt_normalize`)."""
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp_min(1e-9)
    if getattr(model.config, "hbt_normalize", False):
        pooled = torch.nn.functional.normalize(pooled, dim=-1, eps=1e-12)
    return pooled


def length_buckets(sequences, buckets):
    """hbt's grouping (hbt_model::length_buckets): indices sorted by length, longest first,
    ties in input order, cut into groups of ceil(n / buckets)."""
    order = list(range(len(sequences)))
    if buckets <= 1:
        return [order]
    order.sort(key=lambda i: -len(sequences[i]))
    rows = max(1, -(-len(sequences) // buckets))
    return [order[i : i + rows] for i in range(0, len(order), rows)]


class Side:
    """One side of a training batch, padded per length bucket."""

    def __init__(self, sequences, buckets, pad_id):
        self.groups = length_buckets(sequences, buckets)
        self.padded = [pad([sequences[i] for i in g], pad_id) for g in self.groups]
        position = [0] * len(sequences)
        for row, i in enumerate(i for g in self.groups for i in g):
            position[i] = row
        self.position = torch.tensor(position)
        self.rows = len(sequences)
        self.tokens = sum(map(len, sequences))

    def embed(self, model):
        parts = [embed(model, ids, mask) for ids, mask in self.padded]
        return torch.cat(parts)[self.position] if len(parts) > 1 else parts[0]

    def flops(self, config):
        return sum(forward_flops(config, *ids.shape) for ids, _ in self.padded)


def load_model(folder):
    """The exported encoder: BertModel (train benchmark) or XLMRobertaModel, without pooler."""
    return transformers.AutoModel.from_pretrained(folder / "model", add_pooling_layer=False)


def environment(model):
    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "threads": torch.get_num_threads(),
        "attention": getattr(model.config, "_attn_implementation", "unknown"),
    }


def bench_train(folder, args):
    spec = json.loads((folder / "batches.json").read_text())
    pad_id, buckets = spec["pad_token_id"], args.length_buckets
    batches = [
        (Side(b["questions"], buckets, pad_id), Side(b["answers"], buckets, pad_id))
        for b in spec["batches"]
    ]
    torch.manual_seed(args.seed)
    model = load_model(folder)
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=spec["learning_rate"],
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=spec["weight_decay"],
    )
    scale = 1.0 / spec["temperature"]

    def step(batch):
        q, a = batch[0].embed(model), batch[1].embed(model)
        logits = q @ a.T * scale
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(q)))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), spec["max_grad_norm"])
        optimizer.step()
        return loss.item()

    warm = [batches[i % len(batches)] for i in range(max(args.warmup, 1))]
    first_loss = None
    for batch in warm:
        value = step(batch)
        first_loss = value if first_loss is None else first_loss
    def one_pass():
        for batch in batches:
            step(batch)

    seconds, peak = timed(one_pass, args.repeats)
    config = model.config
    gflop = sum(
        3.0 * (q.flops(config) + a.flops(config) + 2.0 * q.rows * a.rows * config.hidden_size)
        for q, a in batches
    ) / 1e9
    tokens = sum(q.tokens + a.tokens for q, a in batches)
    s = spread(seconds)
    gemm = gemm_peak_gflops()
    gflops = inverse(s, gflop)
    return {
        "backend": "pytorch",
        "pass_seconds": seconds,
        "steps_per_s": inverse(s, len(batches)),
        "pairs_per_s": inverse(s, sum(q.rows for q, _ in batches)),
        "tokens_per_s": inverse(s, tokens),
        "gflops": gflops,
        "gemm_peak_gflops": gemm,
        "fraction_of_peak": gflops["median"] / gemm,
        "first_loss": first_loss,
        "peak_rss_mib": peak,
        "executed_gflop_per_pass": gflop,
        "length_buckets": buckets,
        **environment(model),
    }


def bench_encode(folder, args):
    spec = json.loads((folder / "sequences.json").read_text())
    sequences, batch_size, pad_id = spec["sequences"], spec["batch_size"], spec["pad_token_id"]
    model = load_model(folder)
    model.eval()
    # hbt's order: longest first, stable, batches of batch_size.
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    padded = [pad([sequences[i] for i in chunk], pad_id) for chunk in batches]

    def encode_all():
        out = [None] * len(sequences)
        with torch.inference_mode():
            for chunk, (ids, mask) in zip(batches, padded):
                for i, row in zip(chunk, embed(model, ids, mask)):
                    out[i] = row
        return torch.stack(out)

    embeddings = encode_all()
    seconds, peak = timed(encode_all, args.repeats)
    result = {
        "backend": "pytorch",
        "seconds": seconds,
        "sentences_per_s": inverse(spread(seconds), len(sequences)),
        "tokens_per_s": inverse(spread(seconds), sum(map(len, sequences))),
        "peak_rss_mib": peak,
        **environment(model),
    }
    hbt_path = folder / "embeddings.f32"
    if hbt_path.exists():
        hbt = load_matrix(hbt_path, *embeddings.shape)
        result["max_abs_diff_vs_hbt"] = float((hbt - embeddings).abs().max())
    return result


def load_matrix(path, rows, dim):
    """A `rows x dim` f32 matrix from hbt's raw little-endian export."""
    return torch.from_numpy(numpy.fromfile(path, dtype="<f4").reshape(rows, dim).copy())


def bench_search(folder, args):
    spec = json.loads((folder / "embeddings.json").read_text())
    questions = load_matrix(folder / "questions.f32", spec["questions"], spec["dim"])
    pool = load_matrix(folder / "pool.f32", spec["pool"], spec["dim"])
    top_k, block = spec["top_k"], spec["block"]

    def search():
        values, indices = [], []
        with torch.inference_mode():
            for start in range(0, len(questions), block):
                scores = questions[start : start + block] @ pool.T
                v, i = torch.topk(scores, top_k, dim=1)
                values.append(v)
                indices.append(i)
        return torch.cat(values), torch.cat(indices)

    search()
    seconds, peak = timed(search, args.repeats)
    return {
        "backend": "pytorch",
        "what": f"{spec['questions']} x {spec['pool']} x {spec['dim']} matmul + topk {top_k}, blocks of {block} queries",
        "seconds": seconds,
        "spread_s": spread(seconds),
        "peak_rss_mib": peak,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train", "encode", "search"])
    parser.add_argument("folder", type=Path, help="folder written by hbt bench ... --export")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2, help="train: untimed steps")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--length-buckets", type=int, default=1, help="train: forward passes per batch side"
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    transformers.logging.set_verbosity_error()
    run = {"train": bench_train, "encode": bench_encode, "search": bench_search}[args.command]
    result = run(args.folder, args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
