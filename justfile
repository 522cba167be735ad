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

# Encode throughput (sentences/s) on burn-flex and burn-ndarray; ARGS e.g. --repeats 5 --json b.json
bench *ARGS:
    cargo run --release -- bench encode {{ARGS}}
