// Loads a solver plugin (diffqp_<key>.so) from the directory the addon itself was loaded
// from: the build folder, or the prebuild folder with the libraries bundled beside it.
// Node loads the addon without RTLD_GLOBAL, so a plugin is self-contained (it links its own
// copy of the little core code it calls) and is loaded RTLD_LOCAL too.
#include "plugins.hpp"

#include <dlfcn.h>

#include <string>

namespace diffqp {

namespace {

// The folder of the shared object this function was linked into (the addon), with a slash.
std::string AddonDirectory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&AddonDirectory), &info) == 0 || info.dli_fname == nullptr) return "";
  const std::string path(info.dli_fname);
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

}  // namespace

PluginLoad LoadSolverPlugin(const std::string& key) {
  PluginLoad r;
  const std::string file = AddonDirectory() + "diffqp_" + key + ".so";
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    r.reason = why != nullptr ? why : ("cannot load " + file);
    return r;
  }
  // Never dlclose'd: the entry, its key and its solvers' code live in the plugin.
  auto entry_of = reinterpret_cast<PluginEntryFunction>(dlsym(handle, kPluginSymbol));
  if (entry_of == nullptr) {
    r.reason = file + " has no " + kPluginSymbol + " (not a diffqp solver plugin)";
    return r;
  }
  const SolverEntry* entry = entry_of(sizeof(SolverEntry));
  if (entry == nullptr || entry->key == nullptr || key != entry->key) {
    r.reason = file + " comes from another build of diffqp (its solver entry does not match this addon)";
    return r;
  }
  r.loaded = true;
  r.entry = *entry;
  return r;
}

}  // namespace diffqp
