# Sourced by scripts/run and scripts/test: where build output goes.
# One target directory outside the clone, reused across runs and clones, so a
# second run builds only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latch/target}"
export PATH="$HOME/.cargo/bin:$PATH"
