// diffqp's own search for an infeasibility certificate, for a solver that claims "infeasible"
// or "unbounded" without one (Ipopt, HiGHS's QP solver, Clp's QP primal): one LP whose
// optimum is the certificate, solved by HiGHS's simplex (which honours time limits). The
// caller checks what it returns (CertificateHolds) before believing it.
#pragma once
#include <vector>

#include "../core/problem.hpp"

namespace diffqp {

// A candidate certificate of `status` (kPrimalInfeasible: (y, z), length m + n;
// kDualInfeasible: a ray d, length n), or empty when the LP finds none, cannot run (no
// HiGHS in this build, data beyond HiGHS's limits), runs out of `time_limit` seconds or is
// cancelled.
std::vector<double> SearchCertificate(const ProblemView& p, Status status, double time_limit, const CancelFlag& cancel);

}  // namespace diffqp
