#!/usr/bin/env bash
# npm run check:readme — every ```ts block of README.md compiled and run as a consumer would:
# the packed tarball installed into a fresh project (scripts/consumer-project.sh), each block
# written out by scripts/readme-snippets.ts as an ES module (readme-K.mts, as it stands) and as
# CommonJS (readme-K.ts, its body in an async function), compiled with `tsc --strict`
#   - ESM: module nodenext (through the `exports` map's import condition and index.d.mts),
#   - CJS: module commonjs with the classic node resolution (through `main` and `types`),
# and each compiled program run with node. Any compile error, thrown error or non-zero exit fails.
# A block marked `<!-- snippet: fragment -->` is skipped (none is today); one marked
# `<!-- snippet: compile-only -->` (the job queue's, which needs a Redis server) is compiled, not run.
set -euo pipefail

who=check-readme
# shellcheck source=scripts/consumer-project.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-project.sh"

# dist/ is current: npm pack ran build:ts (prepack).
node "$root/dist/scripts/readme-snippets.js" "$root/README.md" "$project/readme" | sed 's/^/  /'
shopt -s nullglob
esm=("$project"/readme/*.mts)
cjs=("$project"/readme/*.ts)
[ ${#esm[@]} -gt 0 ] || { echo "$who: no snippet to compile" >&2; exit 1; }
(cd "$project" && "${tsc[@]}" --strict --noEmitOnError --module nodenext --moduleResolution nodenext --target es2022 \
  --types "$types" --outDir out/esm "${esm[@]}")
(cd "$project" && "${tsc[@]}" --strict --noEmitOnError --module commonjs --moduleResolution node --target es2022 --esModuleInterop \
  --types "$types" --outDir out/cjs "${cjs[@]}")
step "compiled ${#esm[@]} snippets (tsc --strict: ESM, CJS)"

for f in "$project"/out/esm/*.mjs "$project"/out/cjs/*.js; do
  [[ $f == *.compile-only.* ]] && continue
  echo "  node ${f#"$project"/}"
  (cd "$project" && node "$f" 2>&1 | sed 's/^/    /'; exit "${PIPESTATUS[0]}") || { echo "$who: ${f#"$project"/} failed" >&2; exit 1; }
done
step "ran every snippet (ESM and CJS)"
