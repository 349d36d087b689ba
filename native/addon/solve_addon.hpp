// What solve_addon.cpp shares with the other entry points: one solve exactly as solve/solveSync
// run it (batches and parametric problems run the same), its JS result, the flag behind a
// cancel token, and the registration of solveSync, solveAsync and the token functions.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "../core/problem.hpp"
#include "../kkt/polish.hpp"

namespace diffqp {

class Solver;  // solvers/solver.hpp

// Solve, then polish when asked (kkt/polish.hpp); memory of a big solve goes back after.
// `kept` and `check_convexity`: as SolveProblem (a parametric problem's own solver).
Result SolveAndPolish(const std::string& key, const ProblemView& p, const Settings& s, const CancelFlag& cancel, PolishReport& report,
                      Solver* kept = nullptr, bool check_convexity = true);

// options.keepFactor: a differentiable solve returns the polish's factorization of K.
bool ReadKeepFactor(const Napi::Object& options);

// Adds `polish` (and `factorCache` when keep_factor) to a result object.
Napi::Object WithPolish(Napi::Env env, Napi::Object o, const PolishReport& rep, bool keep_factor);

// The flag a value made by createCancelToken() holds; anything else is a typed error.
std::shared_ptr<CancelFlag> TokenFlag(const Napi::Value& v, const std::string& field);

// Adds solveSync, solveAsync, createCancelToken, cancel, expireQueued and laneWaiting, and
// gives this JS thread its group in the serialised solvers' lanes.
void RegisterSolve(Napi::Env env, Napi::Object exports);

}  // namespace diffqp
