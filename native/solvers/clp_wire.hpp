// The bytes between the Clp plugin and its QP worker (diffqp_clp_qp): one frame each way,
// in the machine's own byte order (both ends come from one build on one machine).
//   frame  = u64 length of what follows, then that many bytes
//   job    = "DQPJ", settings, n, m, nnz(P), nnz(A), has lb, has ub, constant,
//            P (Ap, Ai, Ax: lower triangle), q, A (Ap, Ai, Ax), l, u, [lb], [ub]
//   answer = "DQPA", kind 0: status, secondary, has duals, iterations, seconds, x, y, z
//                    kind 1: a message (the worker could not run Clp)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/problem.hpp"
#include "clp_run.hpp"

namespace diffqp {

// A problem and its settings as the worker reads them: owned arrays, and a view of them.
struct ClpJob {
  ClpRunSettings settings;
  int32_t n = 0, m = 0;
  double constant = 0;
  bool has_lb = false, has_ub = false;
  std::vector<int32_t> Pp, Pi, Ap, Ai;
  std::vector<double> Px, q, Ax, l, u, lb, ub;
  ProblemView View() const;
};

// Size of a frame's length prefix.
constexpr size_t kClpFrameHeader = sizeof(uint64_t);

std::vector<uint8_t> EncodeClpJob(const ProblemView& p, const ClpRunSettings& s);
// `bytes` is a job frame's body (after the length). False with `why` when it is not a job
// whose arrays describe CSC matrices of the stated sizes.
bool DecodeClpJob(const uint8_t* bytes, size_t size, ClpJob& job, std::string& why);

std::vector<uint8_t> EncodeClpAnswer(const ClpRun& run);
std::vector<uint8_t> EncodeClpFailure(const std::string& message);
// `bytes` is an answer frame's body. True with `run` filled (x and z of length n, y of m), or
// with `failure` set when the worker reported one; false with `why` when the bytes are not an
// answer to a job of that size.
bool DecodeClpAnswer(const uint8_t* bytes, size_t size, int32_t n, int32_t m, ClpRun& run, std::string& failure, std::string& why);

}  // namespace diffqp
