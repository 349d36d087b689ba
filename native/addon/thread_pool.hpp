// Runs jobs 0..count−1 on `threads` threads: the calling one and threads − 1 std::threads,
// each taking the next index in turn; all are joined before it returns. A job returning false
// (a failure) or `stop` set leaves the jobs not yet started undone. Plain C++ (no N-API).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "../core/error.hpp"

namespace diffqp {

// More threads than this is a caller's mistake, not a wish for speed.
constexpr uint32_t kMaxBatchThreads = 1024;

// options.threads checked (an integer from 1 to kMaxBatchThreads), then capped at the count.
inline uint32_t CheckThreads(double t, size_t count) {
  if (!(t >= 1 && t <= kMaxBatchThreads) || t != static_cast<double>(static_cast<uint32_t>(t))) {
    throw QpError(code::kInvalidOption, "options.threads: must be an integer from 1 to " + std::to_string(kMaxBatchThreads),
                  "options.threads");
  }
  const auto threads = static_cast<uint32_t>(t);
  return count == 0 ? 1 : (threads > count ? static_cast<uint32_t>(count) : threads);
}

// Rethrows the failure of item `at` (e.g. "problems[3]") as a QpError whose message and field
// name the item first.
[[noreturn]] inline void RethrowAt(const std::string& at, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const QpError& e) {
    throw QpError(e.code(), at + ": " + e.what(), e.field().empty() ? at : at + "." + e.field(), e.index());
  } catch (const std::exception& e) {
    throw QpError(code::kNative, at + ": " + e.what(), at);
  } catch (...) {
    throw QpError(code::kNative, at + ": unknown native exception", at);
  }
}

// job(k, worker): worker (0 … threads − 1) names the thread running it, for state a thread keeps
// from one job to its next (batch_addon.cpp: a kept ipm workspace).
template <typename Job>
void RunOnThreads(size_t count, uint32_t threads, const std::atomic<bool>& stop, Job job) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](uint32_t worker) {
    for (size_t k = next++; k < count; k = next++) {
      if (stop.load() || failed.load()) continue;
      if (!job(k, worker)) failed.store(true);
    }
  };
  std::vector<std::thread> pool;
  try {
    for (uint32_t t = 1; t < threads && t < count; t++) pool.emplace_back(work, t);
  } catch (const std::system_error&) {
    // No more threads to be had: the ones started and this one share the work.
  }
  work(0);
  for (auto& th : pool) th.join();
}

}  // namespace diffqp
