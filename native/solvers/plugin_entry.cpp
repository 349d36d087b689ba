// The one exported function of a solver plugin (diffqp_<key>.so): the solver's registry entry.
// Compiled once per plugin, with DIFFQP_PLUGIN_ENTRY naming its solver file's entry function
// (native/sources.json: plugins.<key>.entry).
#include <cstddef>

#include "solver.hpp"

#ifndef DIFFQP_PLUGIN_ENTRY
#error "DIFFQP_PLUGIN_ENTRY must name the solver's entry function"
#endif

namespace diffqp {
SolverEntry DIFFQP_PLUGIN_ENTRY();
}  // namespace diffqp

extern "C" __attribute__((visibility("default"))) const diffqp::SolverEntry* diffqp_solver_plugin_v1(std::size_t entry_size) {
  // The addon and its plugins come from one build; another layout means they do not.
  if (entry_size != sizeof(diffqp::SolverEntry)) return nullptr;
  static const diffqp::SolverEntry entry = diffqp::DIFFQP_PLUGIN_ENTRY();
  return &entry;
}
