"""Independent cross-check of hbt's ranking metrics with pytrec_eval (trec_eval's code).

Usage (outside the repository's build, in any virtual environment):
    pip install pytrec-eval-terrier pyarrow pandas
    hbt eval --checkpoint DIR --task TASK --trec --trec-depth POOL_SIZE --out OUT
    python scripts/eval/check_trec.py OUT

For every TREC run in OUT/trec/ it scores the run against its qrels with pytrec_eval and
compares, query by query, with OUT/per_query.parquet: AP (trec_eval `map`, needs runs as deep
as the pool), MRR@10 (from `recip_rank`, zero beyond rank 10), Recall@10 (`recall_10`) and
nDCG@10 (`ndcg_cut_10`). Prints the largest absolute difference per measure.
"""

import glob
import os
import sys

import pandas as pd
import pytrec_eval


def read_qrels(path):
    qrels = {}
    with open(path) as f:
        for line in f:
            qid, _, doc, rel = line.split()
            qrels.setdefault(qid, {})[doc] = int(rel)
    return qrels


def read_run(path):
    run = {}
    with open(path) as f:
        for line in f:
            qid, _, doc, _rank, score, _tag = line.split()
            run.setdefault(qid, {})[doc] = float(score)
    return run


def main(out):
    rows = pd.read_parquet(os.path.join(out, "per_query.parquet"))
    rows["key"] = (
        rows["setting"] + "." + rows["query_lang"] + "-" + rows["pool_lang"] + "." + rows["query_lang"] + ":" + rows["query_id"]
    )
    ours = rows.set_index("key")
    worst = {"ap": 0.0, "rr_at_10": 0.0, "recall_at_10": 0.0, "ndcg_at_10": 0.0}
    compared = 0
    ties = 0
    for run_path in sorted(glob.glob(os.path.join(out, "trec", "*.run"))):
        stem = os.path.basename(run_path)[: -len(".run")]
        _dataset, setting, pair = stem.rsplit(".", 2)
        qrels = read_qrels(run_path[: -len(".run")] + ".qrels")
        run = read_run(run_path)
        evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"map", "recip_rank", "recall_10", "ndcg_cut_10"})
        scored = evaluator.evaluate(run)
        for qid, m in scored.items():
            mine = ours.loc[f"{setting}.{pair}.{qid}"]
            relevant_scores = {run[qid][d] for d in qrels[qid] if d in run[qid]}
            if sum(1 for s in run[qid].values() if s in relevant_scores) > len(relevant_scores):
                # A relevant item ties with another: trec_eval orders ties by document id,
                # hbt by pool order (DESIGN.md), so ranks may legitimately differ by one.
                ties += 1
                continue
            rr10 = m["recip_rank"] if m["recip_rank"] >= 0.1 else 0.0
            for name, theirs in [("ap", m["map"]), ("rr_at_10", rr10), ("recall_at_10", m["recall_10"]), ("ndcg_at_10", m["ndcg_cut_10"])]:
                worst[name] = max(worst[name], abs(float(mine[name]) - theirs))
            compared += 1
        print(f"{stem}: {len(scored)} queries")
    print(f"queries compared: {compared}; left out because a relevant item ties in score: {ties}")
    for name, diff in worst.items():
        print(f"max |hbt - pytrec_eval| {name}: {diff:.3g}")


if __name__ == "__main__":
    main(sys.argv[1])
