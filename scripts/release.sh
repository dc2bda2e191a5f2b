#!/usr/bin/env bash
# Builds the release binary to ship: target/dist/streamwatch, with its line tables moved out to
# target/dist/streamwatch.debug (linked by .gnu_debuglink). Backtraces read file:line from the
# .debug file when it sits next to the binary; without it they still name every function.
#
#   scripts/release.sh            # then: target/dist/streamwatch --help
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p streamwatch
target_dir="${CARGO_TARGET_DIR:-target}"
dist="$target_dir/dist"
mkdir -p "$dist"
cp "$target_dir/release/streamwatch" "$dist/streamwatch"
objcopy --only-keep-debug "$dist/streamwatch" "$dist/streamwatch.debug"
# The link is made from inside the folder so it names the file, not a path.
(cd "$dist" && objcopy --strip-debug --add-gnu-debuglink=streamwatch.debug streamwatch)
ls -l "$dist/streamwatch" "$dist/streamwatch.debug"
