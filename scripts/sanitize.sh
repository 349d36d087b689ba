#!/usr/bin/env bash
# The memory-safety jobs of CI (.ci/run), one or both:
#   bash scripts/sanitize.sh asan      ASan + UBSan build in build-asan (CMake option DIFFQP_SANITIZE):
#                                      the native ctest suites, then a short addon run (mocha files,
#                                      the Clp worker's among them, and a fuzz slice) in node with
#                                      the gcc libasan preloaded
#   bash scripts/sanitize.sh memcheck  valgrind memcheck of the native ctest programs of build/
#                                      (npm run build:native first): zero errors, no definitely
#                                      lost byte
#   bash scripts/sanitize.sh           both
# Exits non-zero on the first finding. FUZZ_CASES (default 1000) sizes the fuzz slice under ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
job=${1:-all}
native_tests=(native/linsys/linsys_tests native/admm/admm_tests native/ipm/ipm_tests serial_lane_tests)

# halt_on_error: the first report ends the process with an error; UBSan prints where.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

asan() {
  echo "== ASan + UBSan build (build-asan)"
  npx cmake-js compile --out build-asan --CDDIFFQP_SANITIZE=ON
  echo "== native ctest under ASan + UBSan (leak checking on: these are our programs)"
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 ctest --test-dir build-asan --output-on-failure

  echo "== the addon under ASan + UBSan"
  # node-gyp-build finds the addon at <root>/build/Release beside <root>/dist: an instrumented root.
  local asan_root=build-asan/addon-root
  rm -rf "$asan_root"
  mkdir -p "$asan_root/build/Release"
  cp -r dist "$asan_root/dist"
  # With the Clp plugin's worker executable (instrumented too), where Clp's QP solves run.
  cp build-asan/Release/diffqp.node build-asan/Release/diffqp_*.so build-asan/Release/diffqp_clp_qp "$asan_root/build/Release/"
  ln -s "$root/node_modules" "$asan_root/node_modules"
  cp package.json "$asan_root/"
  local libasan
  libasan=$(gcc -print-file-name=libasan.so)
  # node itself is not instrumented: its own allocations at exit are not our leaks (detect_leaks=0).
  # ASan's shadow memory rules out ulimit -v, so ASan itself bounds memory: a malloc over 4 GiB
  # returns NULL (the addon's bad_alloc path, a RangeError in V8) and a process whose RSS passes
  # 6 GiB is stopped (a crash) before the kernel's OOM killer picks a victim on a shared machine.
  (
    cd "$asan_root"
    export LD_PRELOAD=$libasan
    # allow_user_segv_handler=0: node's own SIGSEGV handler would hide where a segfault happened.
    export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:allow_user_segv_handler=0:max_allocation_size_mb=4096:hard_rss_limit_mb=6144
    # test/27: the Ipopt lane across worker_threads, terminated workers included (its child
    # processes inherit LD_PRELOAD and ASAN_OPTIONS; about 45 s here); test/40: batches on
    # native threads.
    node node_modules/.bin/mocha --timeout 600000 dist/test/20-solve.test.js dist/test/01-errors.test.js dist/test/30-differentiate.test.js dist/test/33-handle.test.js dist/test/26-clp-process.test.js dist/test/27-serial-lane.test.js dist/test/40-batch.test.js
    # test/41: parametric problems (a solver kept between solves, values put back after a
    # failure); its RSS loops are left out (10⁴ cycles each, and RSS means little under ASan).
    node node_modules/.bin/mocha --timeout 600000 --grep RSS --invert dist/test/41-parametric.test.js
    # --memory 0: no ulimit on the children (ASan's shadow memory needs the address space).
    # A sanitizer report ends its child: a crash. Other failing outcomes are test/04's to report.
    node dist/scripts/fuzz.js --cases "${FUZZ_CASES:-1000}" --seed 1 --jobs 2 --timeout 60 --memory 0 --fail-on crash | tee fuzz-asan.log
  ) || {
    echo "ASan/UBSan: a finding (see above)"
    return 1
  }
}

memcheck() {
  echo "== valgrind memcheck of the native ctest programs (build/)"
  command -v valgrind > /dev/null || {
    echo "memcheck: valgrind is not installed (Debian: apt-get install valgrind)"
    return 1
  }
  local t status=0
  for t in "${native_tests[@]}"; do
    # No suppressions: the programs link only our code, SuiteSparse and the C/C++ runtime, and
    # memcheck is clean on them as they stand.
    if ! valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
      "build/$t" >"build/memcheck-$(basename "$t").log" 2>&1; then
      echo "memcheck: $t has errors or definitely lost bytes:"
      grep -E '^==[0-9]+==' "build/memcheck-$(basename "$t").log" | head -60
      status=1
    else
      echo "memcheck: $t clean ($(tail -1 "build/memcheck-$(basename "$t").log"))"
    fi
  done
  return $status
}

case "$job" in
  asan) asan ;;
  memcheck) memcheck ;;
  all)
    status=0
    asan || status=1
    memcheck || status=1
    exit $status
    ;;
  *) echo "usage: $0 [asan|memcheck|all]" >&2; exit 2 ;;
esac
