#!/usr/bin/env python3
"""Runs hbt's benchmarks and the PyTorch reference alternately in one session and prints the
ratios (hbt / PyTorch, higher is better for hbt) with min / median / max over rounds.

    python scripts/bench/compare.py --rounds 3 --out bench-results

Needs a release build (`cargo build --release`), the XQuAD-R files (HBT_DATA_DIR or
./datasets) and a Python with torch + transformers (run this script with that Python).
Each round runs, with the order of hbt and PyTorch swapped every other round:

  train   `hbt bench train` vs `torch_bench.py train` on the same exported weights and token
          ids, once with one padded batch per side (identical shapes) and once with
          `--length-buckets B` on both sides (hbt's default training setting);
  encode  `hbt bench encode --flex-only` vs `torch_bench.py encode` (same model and batches);
  search  `hbt bench eval --embeddings` vs `torch_bench.py search` (same embeddings: the
          XQuAD-R multilingual pool, search + top 100, hbt also computing every metric).

After the rounds: `hbt bench train` and `hbt bench encode` on flex and ndarray in one process
each (backend ratio). Everything each process printed is kept under --out; the summary is
written to OUT/summary.md and OUT/summary.json.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TORCH_BENCH = HERE / "torch_bench.py"


def run(cmd, log):
    """Runs a command, appending its output to `log`; exits with its message on failure."""
    text = " ".join(map(str, cmd))
    started = time.perf_counter()
    with open(log, "a") as f:
        f.write(f"$ {text}\n")
        f.flush()
        result = subprocess.run(list(map(str, cmd)), stdout=f, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.exit(f"error: `{text}` failed (exit {result.returncode}); see {log}")
    print(f"  {time.perf_counter() - started:5.0f}s  {text}", flush=True)


def load(path):
    return json.loads(Path(path).read_text())


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hbt", type=Path, default=Path("target/release/hbt"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    parser.add_argument("--steps", type=int, default=6, help="train: batches per timed pass")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes per process")
    parser.add_argument("--length-buckets", type=int, default=4)
    parser.add_argument(
        "--shape",
        choices=["small", "e5-small"],
        default="small",
        help="encoder of the train and encode benchmarks: small (4 x 256, 64 pairs per batch) or "
        "e5-small (multilingual-e5-small's 12 x 384, 250,002-row word table, 32 pairs per batch)",
    )
    parser.add_argument(
        "--only",
        default="train_padded,train_bucketed,encode,search",
        help="comma-separated benchmarks to run (the flex/ndarray step runs only with all)",
    )
    args = parser.parse_args()
    if not args.hbt.exists():
        sys.exit(f"error: {args.hbt} not found; run `cargo build --release` first")
    out = args.out
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    log = out / "log.txt"
    log.write_text("")
    hbt, py = args.hbt, sys.executable
    torch = [py, TORCH_BENCH]
    common_torch = ["--threads", args.threads, "--repeats", args.repeats]

    only = [name for name in args.only.split(",") if name]
    everything = set(only) == {"train_padded", "train_bucketed", "encode", "search"}
    print("exporting inputs", flush=True)
    if "search" in only:
        # The search embeddings need one full XQuAD-R encoding.
        run([hbt, "bench", "eval", "--export", work / "search", "--repeats", 1,
             "--json", out / "hbt-eval-full.json"], log)
    if "encode" in only:
        run([hbt, "bench", "encode", "--flex-only", "--repeats", 1, "--shape", args.shape,
             "--export", work / "encode"], log)

    rounds = []
    for r in range(1, args.rounds + 1):
        print(f"round {r}/{args.rounds}", flush=True)
        res = {}

        def hbt_train(buckets):
            path = work / f"hbt-train-b{buckets}-r{r}.json"
            run([hbt, "bench", "train", "--backend", "flex", "--steps", args.steps,
                 "--repeats", args.repeats, "--warmup", 2, "--length-buckets", buckets,
                 "--shape", args.shape,
                 "--export", work / "train", "--json", path], log)
            return load(path)["backends"][0]

        def torch_train(buckets):
            path = work / f"torch-train-b{buckets}-r{r}.json"
            run(torch + ["train", work / "train", "--warmup", 2, "--length-buckets", buckets,
                         "--json", path] + common_torch, log)
            return load(path)

        def hbt_encode():
            path = work / f"hbt-encode-r{r}.json"
            run([hbt, "bench", "encode", "--flex-only", "--repeats", args.repeats + 1,
                 "--shape", args.shape, "--json", path], log)
            return load(path)["backends"][0]

        def torch_encode():
            path = work / f"torch-encode-r{r}.json"
            run(torch + ["encode", work / "encode", "--json", path] + common_torch, log)
            return load(path)

        def hbt_search():
            path = work / f"hbt-search-r{r}.json"
            run([hbt, "bench", "eval", "--embeddings", work / "search", "--repeats",
                 args.repeats + 1, "--json", path], log)
            return load(path)

        def torch_search():
            path = work / f"torch-search-r{r}.json"
            run(torch + ["search", work / "search", "--json", path, "--threads", args.threads,
                         "--repeats", args.repeats + 1], log)
            return load(path)

        pairs = {
            "train_padded": (lambda: hbt_train(1), lambda: torch_train(1)),
            "train_bucketed": (lambda: hbt_train(args.length_buckets),
                               lambda: torch_train(args.length_buckets)),
            "encode": (hbt_encode, torch_encode),
            "search": (hbt_search, torch_search),
        }
        for name, (h, t) in pairs.items():
            if name not in only:
                continue
            if r % 2 == 1:
                res[name] = {"hbt": h(), "torch": t()}
            else:
                t_result = t()
                res[name] = {"hbt": h(), "torch": t_result}
        rounds.append(res)

    if everything:
        print("backends: flex vs ndarray", flush=True)
        run([hbt, "bench", "train", "--backend", "flex,ndarray", "--steps", args.steps,
             "--repeats", args.repeats, "--length-buckets", args.length_buckets,
             "--shape", args.shape, "--json", out / "hbt-train-backends.json"], log)
        run([hbt, "bench", "encode", "--repeats", args.repeats + 1, "--shape", args.shape,
             "--json", out / "hbt-encode-backends.json"], log)

    summary = summarize(rounds, args, only)
    if everything:
        summary["backends"] = {
            "train": load(out / "hbt-train-backends.json"),
            "encode": load(out / "hbt-encode-backends.json"),
        }
    summary["machine"] = {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    (out / "rounds.json").write_text(json.dumps(rounds, indent=2) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    text = markdown(summary)
    (out / "summary.md").write_text(text)
    print(text)


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def summarize(rounds, args, only):
    """Per benchmark: each side's median rate per round, and hbt / PyTorch per round."""
    def rate(name, side, res):
        r = res[name][side]
        if name.startswith("train"):
            return r["steps_per_s"]["median"]
        if name == "encode":
            if side == "hbt":
                return r["sentences_per_s"]
            return r["sentences_per_s"]["median"]
        # search: seconds -> searches per second
        if side == "hbt":
            phase = next(p for p in r["phases"] if p["what"].startswith("multilingual pool"))
            return 1.0 / phase["spread_s"]["median"]
        return 1.0 / r["spread_s"]["median"]

    units = {
        "train_padded": "steps/s",
        "train_bucketed": "steps/s",
        "encode": "sentences/s",
        "search": "searches/s",
    }
    out = {"settings": vars(args) | {"hbt": str(args.hbt), "out": str(args.out)}, "benchmarks": {}}
    for name in [n for n in units if n in only]:
        hbt = [rate(name, "hbt", res) for res in rounds]
        torch = [rate(name, "torch", res) for res in rounds]
        entry = {
            "unit": units[name],
            "hbt": spread(hbt),
            "pytorch": spread(torch),
            "ratio": spread([h / t for h, t in zip(hbt, torch)]),
        }
        if name.startswith("train"):
            entry["hbt_gflops"] = spread([res[name]["hbt"]["gflops"]["median"] for res in rounds])
            entry["pytorch_gflops"] = spread([res[name]["torch"]["gflops"]["median"] for res in rounds])
            entry["hbt_gemm_peak"] = spread([res[name]["hbt"]["gemm_peak_gflops"] for res in rounds])
            entry["pytorch_gemm_peak"] = spread([res[name]["torch"]["gemm_peak_gflops"] for res in rounds])
            entry["hbt_peak_rss_mib"] = max(res[name]["hbt"]["peak_rss_mib"] or 0 for res in rounds)
            entry["pytorch_peak_rss_mib"] = max(res[name]["torch"]["peak_rss_mib"] or 0 for res in rounds)
        elif name == "search":
            entry["hbt_all_settings_s"] = spread([
                next(p for p in res[name]["hbt"]["phases"] if p["what"].startswith("search + all"))["spread_s"]["median"]
                for res in rounds
            ])
            entry["hbt_peak_rss_mib"] = max(
                next(p for p in res[name]["hbt"]["phases"] if p["what"].startswith("multilingual pool"))["peak_rss_mib"] or 0
                for res in rounds
            )
            entry["pytorch_peak_rss_mib"] = max(res[name]["torch"]["peak_rss_mib"] or 0 for res in rounds)
        else:
            entry["pytorch_max_abs_diff_vs_hbt"] = max(
                res[name]["torch"].get("max_abs_diff_vs_hbt", 0.0) for res in rounds
            )
            entry["pytorch_peak_rss_mib"] = max(res[name]["torch"]["peak_rss_mib"] or 0 for res in rounds)
        out["benchmarks"][name] = entry
    return out


def markdown(summary):
    f = lambda s, d=3: f"{s['min']:.{d}f} / {s['median']:.{d}f} / {s['max']:.{d}f}"
    lines = [
        f"Machine: {summary['machine']['cpu']}, {summary['machine']['cores']} cores",
        f"Rounds: {summary['settings']['rounds']} (hbt and PyTorch alternate; min / median / max over rounds)",
        f"Encoder shape: {summary['settings']['shape']}",
        "",
        "| benchmark | unit | hbt | PyTorch | hbt / PyTorch |",
        "|---|---|---|---|---|",
    ]
    for name, e in summary["benchmarks"].items():
        lines.append(f"| {name} | {e['unit']} | {f(e['hbt'])} | {f(e['pytorch'])} | {f(e['ratio'], 2)} |")
    lines.append("")
    for name in [n for n in ("train_padded", "train_bucketed") if n in summary["benchmarks"]]:
        e = summary["benchmarks"][name]
        lines.append(
            f"{name}: GFLOP/s hbt {e['hbt_gflops']['median']:.1f} (GEMM peak "
            f"{e['hbt_gemm_peak']['median']:.0f}), PyTorch {e['pytorch_gflops']['median']:.1f} "
            f"(GEMM peak {e['pytorch_gemm_peak']['median']:.0f}); peak RSS hbt "
            f"{e['hbt_peak_rss_mib']:.0f} MiB, PyTorch {e['pytorch_peak_rss_mib']:.0f} MiB"
        )
    b = summary.get("backends")
    if b is None:
        return "\n".join(lines) + "\n"
    lines.append("")
    lines.append("flex vs ndarray (one process each):")
    for r in b["train"]["backends"]:
        lines.append(f"- train {r['backend']}: {r['steps_per_s']['median']:.3f} steps/s, "
                     f"{r['gflops']['median']:.1f} GFLOP/s of a {r['gemm_peak_gflops']:.0f} GFLOP/s GEMM peak")
    for r in b["encode"]["backends"]:
        lines.append(f"- encode {r['backend']}: {r['sentences_per_s']:.1f} sentences/s")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
