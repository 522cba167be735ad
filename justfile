# hbt tasks. `just --list` shows them.
set shell := ["bash", "-euo", "pipefail", "-c"]

# Run an experiment: experiments/NAME.toml -> results/NAME/
experiment NAME *ARGS:
    cargo run --release -- experiment {{NAME}} {{ARGS}}

# Continue interrupted runs of an experiment from their newest checkpoints
resume NAME:
    cargo run --release -- experiment {{NAME}} --resume

# Rebuild tables, figures and report.md of an experiment from its results alone
report NAME:
    cargo run --release -- report {{NAME}}

# The test suite (the command CI runs)
test:
    cargo test --workspace --release

# Download datasets into the data folder (HBT_DATA_DIR or ./datasets), verifying sha256 sums
fetch-data NAME="all":
    cargo run --release -- data fetch {{NAME}}

# Validate every experiment file without running it
check-experiments:
    for f in experiments/*.toml; do cargo run --release -q -- experiment "$f" --check; done

# hbt's benchmarks: WHAT is encode, train or eval; ARGS e.g. --repeats 5 --json b.json
bench WHAT="encode" *ARGS:
    cargo run --release -- bench {{WHAT}} {{ARGS}}

# hbt against PyTorch, alternating in one session (PYTHON needs torch + transformers)
bench-torch PYTHON="python3" *ARGS:
    cargo build --release
    {{PYTHON}} scripts/bench/compare.py {{ARGS}}
