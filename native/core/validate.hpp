#pragma once
#include "problem.hpp"

namespace diffqp {
// Checks a problem view before any solver sees it (lib/validate.ts checks the same first):
// CSC structure of P (lower triangle) and A, finite data, ordered bounds. Throws QpError.
void ValidateProblem(const ProblemView& p);
}  // namespace diffqp
