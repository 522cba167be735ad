"""Checks a folder written by `hbt model convert` with Hugging Face `transformers`.

Loads FOLDER with `transformers.AutoModel` (reporting missing / unexpected weights), tokenizes
every case of a `reference_embeddings.json` (as in ../shared/models/multilingual-e5-small-q4/)
with the folder's `tokenizer.json`, embeds it with masked mean pooling and L2 normalisation
(multilingual-e5-small's convention) and prints how many token id lists are identical and the
largest absolute difference per embedding component.

    hbt model convert q4:../shared/models/multilingual-e5-small-q4/e5-small-q4.bin e5-f32 \\
        --pooling mean --query-prefix "query: " --passage-prefix "passage: "
    python scripts/models/check_converted.py e5-f32 \\
        ../shared/models/multilingual-e5-small-q4/reference_embeddings.json
"""

import json
import sys

import torch
import transformers
from transformers import AutoModel, PreTrainedTokenizerFast


def main(folder: str, reference_path: str) -> int:
    reference = json.load(open(reference_path, encoding="utf-8"))
    model, info = AutoModel.from_pretrained(folder, output_loading_info=True)
    problems = {key: len(value) for key, value in info.items() if value}
    print(f"transformers {transformers.__version__}: loading problems {problems or 'none'}")
    model.eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=f"{folder}/tokenizer.json")
    same_ids, worst = 0, 0.0
    for case in reference["cases"]:
        ids = tokenizer(case["prefix"] + case["text"])["input_ids"]
        same_ids += ids == case["token_ids"]
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
        embedding = hidden.mean(0)
        embedding = embedding / embedding.norm()
        difference = (embedding - torch.tensor(case["embedding"])).abs().max().item()
        worst = max(worst, difference)
    cases = len(reference["cases"])
    print(f"token ids identical: {same_ids}/{cases}; max abs difference: {worst:.2e}")
    return 0 if same_ids == cases and worst <= 1e-4 and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
