#!/usr/bin/env bash
# The C and C++ under native/ against the .clang-format of their folders (native/.clang-format
# for the C++, native/{ipm,linsys,admm}/.clang-format for the C cores): fails listing what
# differs; with --fix, reformats in place. Run by `npm run lint` (CI) and `npm run format`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format > /dev/null || { echo "check-format: clang-format is missing (Debian: apt-get install clang-format; npm run setup installs it)" >&2; exit 1; }
mapfile -t files < <(git ls-files 'native/*.c' 'native/*.h' 'native/*.cpp' 'native/*.hpp')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
echo "check-format: ${#files[@]} files as clang-format writes them"
