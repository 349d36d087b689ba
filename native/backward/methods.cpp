// The backward methods by name (options.method of differentiate): one line each. A new method
// is its own <name>_backward.cpp, declared in backward.hpp, and its line here; the addon and
// lib/differentiate.ts take the list from BackwardMethods().
#include "backward.hpp"

namespace diffqp {

const std::vector<BackwardMethod>& BackwardMethods() {
  // kkt first: the default, and the one method that uses (and fills) a kept factorization of K
  static const std::vector<BackwardMethod> methods = {
      {"kkt", true, [](const BackwardCall& c) { return KktBackward(c.p, c.x, c.y, c.z, c.gx, c.options, c.factor, c.duals); }},
      {"full", false, [](const BackwardCall& c) { return FullBackward(c.p, c.x, c.y, c.z, c.gx, c.options, c.duals); }},
      {"penalty", false, [](const BackwardCall& c) { return PenaltyBackward(c.p, c.x, c.y, c.z, c.gx, c.options, c.duals); }},
      {"qp", false, [](const BackwardCall& c) { return QpBackward(c.p, c.x, c.y, c.z, c.gx, c.options, c.duals); }},
  };
  return methods;
}

const BackwardMethod* FindBackwardMethod(const std::string& name) {
  for (const BackwardMethod& m : BackwardMethods())
    if (name == m.name) return &m;
  return nullptr;
}

}  // namespace diffqp
