#!/usr/bin/env bash
# make fuzz: builds MockFuzzer with libFuzzer + AddressSanitizer and runs every target (or the ones
# named) for a bounded time each. Seeds come from Fuzz/corpus/<target> (captured from real clients
# by scripts/capture-fuzz-seeds.py); what the fuzzer learns stays in .build-fuzz/corpus/<target>.
# A crash or broken invariant is saved to Fuzz/regressions/<target>/, which the unit tests replay.
#
# Usage: scripts/fuzz.sh [--seconds N] [--jobs N] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
jobs=1
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(classic-protocol x-protocol json-trace admin-body regex-hints upstream-session compressed-frames)

scratch=.build-fuzz
mkdir -p "$scratch"
# SwiftPM does not pass -use-ld to the link step from -Xswiftc; gold fails on ASan objects.
cat > "$scratch/toolset.json" <<'JSON'
{"schemaVersion": "1.0", "swiftCompiler": {"extraCLIOptions": ["-use-ld=lld"]}}
JSON
swift build -c release --scratch-path "$scratch" --product MockFuzzer --toolset "$scratch/toolset.json" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
binary="$scratch/release/MockFuzzer"

summary="$scratch/summary.md"
echo "| target | seconds | inputs run | corpus | crashes |" > "$summary"
echo "|---|---|---|---|---|" >> "$summary"
status=0
for target in "${targets[@]}"; do
    work="$scratch/corpus/$target"
    regressions="Fuzz/regressions/$target"
    mkdir -p "$work" "$regressions"
    log="$scratch/$target.log"
    echo "== $target: ${seconds}s"
    set +e
    parallel=()
    [[ $jobs -gt 1 ]] && parallel=(-fork="$jobs")
    MOCK_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no \
        LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt" "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$regressions/" "${parallel[@]}" \
        "$work" "Fuzz/corpus/$target" > "$log" 2>&1
    rc=$?
    set -e
    runs=$(awk -F: '/stat::number_of_executed_units/ {s += $2} END {print s + 0}' "$log")
    if [[ $runs -eq 0 ]]; then  # -fork prints progress lines only: take the last "#<n>"
        runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
        runs=${runs:-0}
    fi
    corpus=$(find "$work" -type f | wc -l)
    crashes=$(find "$regressions" -type f -newer "$scratch/toolset.json" | wc -l)
    echo "| $target | $seconds | $runs | $corpus | $crashes |" >> "$summary"
    if [[ $rc -ne 0 ]]; then
        status=1
        echo "!! $target: libFuzzer exited $rc; see $log and $regressions" >&2
        tail -30 "$log" >&2
    fi
done
cat "$summary"
exit $status
