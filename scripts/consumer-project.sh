# Sourced by scripts/check-consumer.sh and scripts/check-readme-snippets.sh: packs the package and
# installs the tarball into a fresh project, as a consumer gets it. Sets root, work, project, tsc,
# types (the --types list) and step(); the caller sets `who` (its name in messages) first.
# Offline: npm installs from the tarball and its cache only (--offline); TypeScript, @types/node
# and TensorFlow.js (tfjs-core, the optional peer of diffqp/tfjs, tfjs-backend-cpu and
# @types/long) are linked from this repository's node_modules. No native build: install scripts are skipped and this repository's
# addon (build/Release/diffqp.node and its solver plugins, `npm run build:native`) is copied into
# the installed package, where node-gyp-build finds it as it would a prebuild.
# DIFFQP_CONSUMER_KEEP=1 keeps the temporary project and prints its path.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
who="${who:-consumer}"
addon="$root/build/Release/diffqp.node"
[ -f "$addon" ] || { echo "$who: $addon is missing: run npm run build:native first" >&2; exit 1; }
for dep in typescript @types/node @types/long @tensorflow/tfjs-core @tensorflow/tfjs-backend-cpu; do
  [ -d "$root/node_modules/$dep" ] || { echo "$who: $root/node_modules/$dep is missing: run npm install" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/diffqp-$who.XXXXXX")"
if [ "${DIFFQP_CONSUMER_KEEP:-}" = 1 ]; then echo "$who: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
started=$(date +%s.%N)
step() { printf '%s: %-44s %6.1f s\n' "$who" "$1" "$(echo "$(date +%s.%N) - $started" | bc)"; }

# 1. Pack (prepack runs build:ts, so dist/ is current) and look at what the tarball holds.
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/diffqp-*.tgz)"
listing="$(tar -tzf "$tarball")"
for must in package/LICENSE package/THIRD_PARTY_NOTICES.md package/dist/lib/index.js package/dist/lib/index.mjs package/dist/lib/index.d.ts package/dist/lib/index.d.mts \
  package/dist/lib/tfjs.js package/dist/lib/tfjs.mjs package/dist/lib/tfjs.d.ts package/dist/lib/tfjs.d.mts; do
  grep -qx "$must" <<<"$listing" || { echo "$who: $must is not in the tarball" >&2; exit 1; }
done
if grep -E '\.map$|^package/dist/(test|scripts)/' <<<"$listing"; then
  echo "$who: the tarball ships the files above (source maps without their sources, or tests)" >&2
  exit 1
fi
step "packed $(basename "$tarball") ($(wc -l <<<"$listing") files)"

# 2. A fresh project with the tarball installed.
project="$work/project"
mkdir -p "$project/src"
cat >"$project/package.json" <<'EOF'
{ "name": "diffqp-consumer", "version": "1.0.0", "private": true }
EOF
# The package's own dependencies (cmake-js and its tree, node-addon-api, node-gyp-build) are
# copied from this repository's node_modules first, so that --offline finds them there.
modules="$(cd "$root/node_modules" && pwd -P)"
mkdir -p "$project/node_modules"
(cd "$root" && npm ls --all --omit=dev --parseable 2>/dev/null) | while read -r dir; do
  rel="${dir#"$modules"/}"
  rel="${rel#"$root"/node_modules/}"
  case "$rel" in /* | */node_modules/*) continue ;; esac  # the root itself; nested ones come with their parent
  mkdir -p "$(dirname "$project/node_modules/$rel")"
  cp -R "$modules/$rel" "$project/node_modules/$rel"
done
(cd "$project" && npm install --offline --no-audit --no-fund --ignore-scripts --silent "$tarball")
mkdir -p "$project/node_modules/diffqp/build/Release" "$project/node_modules/@types"
# The solver plugins (diffqp_ipopt.so, diffqp_clp.so) live beside the addon, which loads them.
cp "$addon" "$root"/build/Release/diffqp_*.so "$project/node_modules/diffqp/build/Release/"
ln -s "$root/node_modules/typescript" "$project/node_modules/typescript"
ln -s "$root/node_modules/@types/node" "$project/node_modules/@types/node"
# One tfjs-core for diffqp/tfjs and the backend: node resolves both links into this repository.
mkdir -p "$project/node_modules/@tensorflow"
ln -s "$root/node_modules/@tensorflow/tfjs-core" "$project/node_modules/@tensorflow/tfjs-core"
ln -s "$root/node_modules/@tensorflow/tfjs-backend-cpu" "$project/node_modules/@tensorflow/tfjs-backend-cpu"
# tfjs-core's declarations use the global Long of @types/long (its dependency), which a project
# compiled with an explicit --types list must name.
ln -s "$root/node_modules/@types/long" "$project/node_modules/@types/long"
types=node,long
step "installed into a fresh project"

tsc=(node "$project/node_modules/typescript/bin/tsc")
export types
