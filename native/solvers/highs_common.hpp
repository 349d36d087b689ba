// What the HiGHS adapter and diffqp's certificate LP (certificate_search.cpp) share: the
// handle, the cancellation hook and HiGHS's data limits.
#pragma once
#include "../core/limits.hpp"
#include "../core/problem.hpp"
#include "highs/interfaces/highs_c_api.h"

namespace diffqp {

struct HighsHandle {
  void* h = Highs_create();
  ~HighsHandle() { Highs_destroy(h); }
  HighsHandle() = default;
  HighsHandle(const HighsHandle&) = delete;
  HighsHandle& operator=(const HighsHandle&) = delete;
};

// Interrupts the simplex and IPM loops (LPs) once `cancel` is set. HiGHS 1.10's QP solver
// runs no callback, so a QP is not interruptible once it has started.
inline void InterruptOnCancel(void* h, const CancelFlag& cancel) {
  auto callback = [](int type, const char*, const HighsCallbackDataOut*, HighsCallbackDataIn* in, void* user) {
    if ((type == kHighsCallbackSimplexInterrupt || type == kHighsCallbackIpmInterrupt) && in) {
      in->user_interrupt = static_cast<const CancelFlag*>(user)->load() ? 1 : 0;
    }
  };
  Highs_setCallback(h, callback, const_cast<CancelFlag*>(&cancel));
  Highs_startCallback(h, kHighsCallbackSimplexInterrupt);
  Highs_startCallback(h, kHighsCallbackIpmInterrupt);
}

// HiGHS rejects |A_ij| and |P_ij| ≥ 1e15 (its large_matrix_value) and reads |c_j| ≥ 1e20 as
// an infinite cost (infinite_cost).
inline DataLimits HighsLimits() {
  DataLimits limits;
  limits.hessian = 1e15;
  limits.matrix = 1e15;
  limits.cost = 1e20;
  return limits;
}

}  // namespace diffqp
