#!/usr/bin/env bash
# Behaviour check across a refactoring: runs a fixed command set with two builds of kirchhoffhw and diffs what
# they write. Byte-identical except the report timestamp, wall-clock fields and the tree's own path.
#
#   tests/compat/compare.sh run  TREE DEST    run the command set with TREE's built CLI, results into DEST
#   tests/compat/compare.sh diff A B          compare two result folders (exit 1 on any difference;
#                                             KH_COMPAT_NUMERIC=1 also sizes each text file's numeric differences)
#   tests/compat/compare.sh BASE_COMMIT       build BASE_COMMIT in a scratch folder, run both it and this tree, diff
#
# TREE is a repository root whose CLI is built (make cli). Every run writes into one fixed scratch path and is moved
# to DEST afterwards, so paths recorded in the outputs (the report's command line) are the same for both builds.
# Cells are characterized into a cache shared by both runs (KIRCHHOFFHW_CACHE, default under the scratch folder).
set -euo pipefail

SCRATCH="${KH_COMPAT_SCRATCH:-${TMPDIR:-/tmp}/kh-compat}"
MODELS="${KH_MODELS:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/models}"
MODELS="$(cd "$MODELS" && pwd)"
export KIRCHHOFFHW_CACHE="${KIRCHHOFFHW_CACHE:-$SCRATCH/cache}"
NICE="nice -n 10"

run() {
  local tree dest cli work code
  tree="$(cd "$1" && pwd)"; dest="$2"
  cli="$tree/src/KirchhoffHw.Cli/bin/Release/net10.0/kirchhoffhw"
  [ -x "$cli" ] || { echo "no CLI at $cli: build $tree first (make cli)" >&2; exit 2; }
  work="$SCRATCH/run"
  rm -rf "$work"; mkdir -p "$work"
  cd "$tree"
  local tm="$MODELS/twomoon/model.pth" mn="$MODELS/mnist/model.pth"
  # name | arguments (relative paths are relative to the tree; every output goes under $work)
  local -a names=() ; local -A cmds=()
  add() { names+=("$1"); cmds["$1"]="$2"; }
  for f in ideal macro transistor; do
    add "gen-spiral-$f" "generate designs/spiral.yaml --random 2 --seed 4 --capacitance 1p --time-unit 1n --voltage-scale 0.2 --fidelity $f -o $work/gen-spiral-$f/spiral.cir"
    add "gen-twomoon-$f" "generate $tm --random 2 --seed 4 --capacitance 1p --time-unit 1n --voltage-scale 0.02 --fidelity $f -o $work/gen-twomoon-$f/twomoon.cir"
  done
  add "gen-tiny-vams" "generate designs/tiny.yaml --random 1 --seed 2 --capacitance 1p --time-unit 1n --format verilog-ams -o $work/gen-tiny-vams"
  add "verify-twomoon" "verify $tm --inputs $MODELS/twomoon/vectors.json --capacitance 1p --time-unit 1n --jobs 2 -o $work/verify-twomoon/verdict.json"
  add "flow-spiral-noverify" "flow designs/spiral.yaml --random 8 --seed 7 --capacitance 1p --time-unit 1n --no-verify --out $work/flow-spiral-noverify"
  add "flow-spiral" "flow designs/spiral.yaml --random 8 --seed 7 --capacitance 1p --time-unit 1n --jobs 2 --out $work/flow-spiral"
  add "flow-spiral-tech" "flow designs/spiral.yaml --random 8 --seed 7 --capacitance 1p --time-unit 1n --jobs 2 --tech designs/tech/ptm45hp.yaml --out $work/flow-spiral-tech"
  add "report-mnist" "report $mn --inputs $MODELS/mnist/vectors.json --capacitance 1p --time-unit 1u --out $work/report-mnist"
  add "report-mnist-tech" "report $mn --inputs $MODELS/mnist/vectors.json --capacitance 1p --time-unit 1u --tech designs/tech/ptm45hp.yaml --out $work/report-mnist-tech"
  mkdir -p "$dest"
  : > "$dest/commands.txt"
  for n in "${names[@]}"; do
    [ -n "${KH_COMPAT_ONLY:-}" ] && [[ ! " $KH_COMPAT_ONLY " == *" $n "* ]] && continue
    mkdir -p "$work/$n"
    local start=$SECONDS
    # shellcheck disable=SC2086
    set +e; $NICE "$cli" ${cmds[$n]} > "$work/$n.stdout" 2> "$work/$n.stderr"; code=$?; set -e
    echo "$n exit=$code $((SECONDS - start))s: kirchhoffhw ${cmds[$n]}" | tee -a "$dest/commands.txt"
    echo "$code" > "$work/$n.exit"
  done
  # Normalize: the tree's own path (the default technology and templates ship beside the CLI).
  for f in $(grep -rlI -F "$tree" "$work" || true); do sed -i "s#$tree#<tree>#g" "$f"; done
  cp -r "$work"/. "$dest"/
}

# Fields that differ between two runs of one command: the report's timestamp and wall-clock times.
normalize() {
  sed -E -e 's/"generated_utc": "[^"]*"/"generated_utc": "<time>"/' \
         -e 's/; generated [0-9-]+ [0-9:]+ UTC;/; generated <time>;/' \
         -e 's/"elapsed_s": [0-9.eE+-]+/"elapsed_s": <s>/g' \
         -e 's/"(reference_s|seconds)": [0-9.eE+-]+/"\1": <s>/g' "$1"
}

diff_dirs() {
  local a="$1" b="$2" status=0 rel
  while IFS= read -r rel; do
    case "$rel" in commands.txt|*.stdout|*.stderr) continue;; esac
    if [ ! -e "$b/$rel" ]; then echo "only in $a: $rel"; status=1; continue; fi
    if cmp -s "$a/$rel" "$b/$rel"; then continue; fi
    if grep -qI . "$a/$rel" 2>/dev/null && diff -q <(normalize "$a/$rel") <(normalize "$b/$rel") >/dev/null; then continue; fi
    echo "differs: $rel"; status=1
    if [ -n "${KH_COMPAT_NUMERIC:-}" ] && grep -qI . "$a/$rel" 2>/dev/null; then
      python3 "$(dirname "$0")/numdiff.py" <(normalize "$a/$rel") <(normalize "$b/$rel") || true
    fi
  done < <(cd "$a" && find . -type f | sed 's#^\./##' | sort)
  while IFS= read -r rel; do
    case "$rel" in commands.txt|*.stdout|*.stderr) continue;; esac
    [ -e "$a/$rel" ] || { echo "only in $b: $rel"; status=1; }
  done < <(cd "$b" && find . -type f | sed 's#^\./##' | sort)
  [ $status -eq 0 ] && echo "identical (after normalizing timestamps, wall-clock times and tree paths)"
  return $status
}

case "${1:-}" in
  run) run "$2" "$3" ;;
  diff) diff_dirs "$2" "$3" ;;
  ""|-h|--help) sed -n 2,12p "$0" ;;
  *)
    base="$1"; here="$(cd "$(dirname "$0")/../.." && pwd)"
    src="$SCRATCH/base-$base"
    if [ ! -x "$src/src/KirchhoffHw.Cli/bin/Release/net10.0/kirchhoffhw" ]; then
      rm -rf "$src"; mkdir -p "$src"; git -C "$here" archive "$base" | tar -x -C "$src"
      (cd "$src" && $NICE dotnet build src/KirchhoffHw.Cli/KirchhoffHw.Cli.csproj -c Release -nologo -clp:ErrorsOnly)
    fi
    run "$src" "$SCRATCH/a"
    run "$here" "$SCRATCH/b"
    diff_dirs "$SCRATCH/a" "$SCRATCH/b"
    ;;
esac
