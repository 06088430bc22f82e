#!/usr/bin/env bash
# Regenerates ent and gqlgen code in a scratch copy of the working tree and
# compares it with the working tree, so that generated code never drifts from
# its sources (and a developer's own uncommitted edits are not mistaken for
# drift).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cd "$root"
# Copy what git tracks plus untracked, not ignored files: the working tree.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$scratch/$(dirname "$f")"
  cp -p "$f" "$scratch/$f"
done

cd "$scratch"
make --no-print-directory generate >"$scratch/generate.log" 2>&1 || { cat "$scratch/generate.log"; exit 1; }

status=0
for dir in ent schema graph; do
  if ! diff -r -q -x node_modules "$root/$dir" "$scratch/$dir" >/dev/null; then
    echo "generated code in $dir/ does not match its sources:"
    diff -r -u -x node_modules "$root/$dir" "$scratch/$dir" | head -60 || true
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "run 'make generate' and commit the result"
  exit 1
fi
echo "generated code is current"
