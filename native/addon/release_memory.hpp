// Giving the memory of a big solve back to the system. Header-only: used by addon.cpp and
// differentiate_addon.cpp, on the thread that did the work.
#pragma once
#include <atomic>
#include <cstdint>

#include "../core/problem.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace diffqp {

// Above this size (n + m + nnz(P) + nnz(A)) a solve's working memory runs to tens of MB.
constexpr int64_t kTrimAboveSize = int64_t(1) << 17;

// glibc keeps what a thread freed in that thread's arena: after big solves on several
// threadpool threads, RSS holds one solve's peak per thread (docs/RUNTIME.md measures it).
// malloc_trim(0) returns the free pages of every arena; it walks the arenas, so small solves
// skip it.
inline void ReleaseFreedMemory(const ProblemView& p) {
#if defined(__GLIBC__)
  if (int64_t(p.n) + p.m + p.P.nnz() + p.A.nnz() >= kTrimAboveSize) malloc_trim(0);
#else
  (void)p;
#endif
}

// Factor caches are built on threadpool threads and, without dispose(), freed in batches on the
// JS thread after a GC: what they held stays in the builders' arenas, and RSS follows the largest
// batch seen so far. Called after freeing `bytes` of them; every kTrimAfterFreed bytes, the pages
// go back. A trim costs ~4.5 ms at 100 MB of RSS: 4 MB keeps that near 2% of a loop of tiny
// solves, and RSS within ±10 MB (docs/RUNTIME.md; 2 MB: ±6 MB and 5%, 16 MB: ±23 MB).
constexpr int64_t kTrimAfterFreed = int64_t(4) << 20;
inline void CountFreedCacheBytes(int64_t bytes) {
  static std::atomic<int64_t> freed{0};
  if (bytes <= 0 || freed.fetch_add(bytes) + bytes < kTrimAfterFreed) return;
  freed.store(0);
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace diffqp
