// Loading the solvers built as plugins (solver.hpp: kPluginSymbol), for registry.cpp.
#pragma once
#include <string>

#include "solver.hpp"

namespace diffqp {

struct PluginLoad {
  bool loaded = false;
  SolverEntry entry{};
  std::string reason;  // when not loaded: the loader's message (dlerror) or what did not match
};

// Loads diffqp_<key>.so from the addon's own folder.
PluginLoad LoadSolverPlugin(const std::string& key);

}  // namespace diffqp
