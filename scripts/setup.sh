#!/usr/bin/env bash
# One-command set-up from a fresh Debian 12 machine, idempotent (a second run takes seconds):
#   1. the Debian packages diffqp links against (only those missing),
#   2. HiGHS from Debian's source package, built once into a cache outside the clone,
#   3. in a clone (npm run setup): npm dependencies, the native addon and the TypeScript build;
#      in an installed package (npx diffqp setup, tsconfig.json is not shipped): the addon only.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ make cmake ninja-build pkg-config ca-certificates curl xz-utils dpkg-dev
  libsuitesparse-dev coinor-libipopt-dev coinor-libclp-dev
  patchelf  # npm run prebuild (RUNPATH $ORIGIN on the bundled libraries), test/07
  valgrind  # CI only: scripts/sanitize.sh memcheck
  clang-format  # CI only: npm run lint (scripts/check-format.sh)
  redis-server  # tests of the queue (test/50, test/51) and npm run bench:queue start their own on a free port
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    bash -c "$cmd" > /tmp/diffqp-apt.log 2>&1 || { tail -n 30 /tmp/diffqp-apt.log; exit 1; }
  elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
    echo "setup: installing Debian packages with sudo: ${missing[*]}"
    sudo bash -c "$cmd"
  else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: this step needs root. Run, as root:" >&2
    echo "    $cmd" >&2
    echo "then run 'npm run setup' again." >&2
    exit 1
  fi
else
  echo "setup: Debian packages present"
fi

# HiGHS's build needs the Debian signing keyring (present on Debian by default).
bash scripts/setup-highs.sh

if [[ ! -f tsconfig.json ]]; then
  # An installed package (node_modules/diffqp): its dependencies and dist/ are there already.
  echo "setup: building the addon from source (cmake-js)"
  rm -rf build
  node scripts/install.js
  node -e "const d=require('./dist/lib');console.log('setup: ready; solvers:', d.availableSolvers().map(s=>s.key).join(', '))"
  exit 0
fi

echo "setup: npm dependencies"
npm install --ignore-scripts --no-audit --no-fund --loglevel=error

echo "setup: building the addon and the TypeScript sources"
npm run --silent build:native > /tmp/diffqp-build.log 2>&1 || { tail -n 40 /tmp/diffqp-build.log; exit 1; }
npm run --silent build:ts
node -e "const d=require('./dist/lib');console.log('setup: ready; solvers:', d.availableSolvers().map(s=>s.key).join(', '))"
