// Prints what binding.gyp needs, one item a line, from native/sources.json (the source list
// CMakeLists.txt reads too) and from where CMakeLists.txt finds its libraries:
//   node scripts/sources.js addon          every source of diffqp.node
//   node scripts/sources.js plugin KEY     the sources of diffqp_KEY.so
//   node scripts/sources.js entry KEY      the entry function of plugin KEY
//   node scripts/sources.js pkg-config KEY the pkg-config module of plugin KEY
//   node scripts/sources.js plugins        the plugin keys
//   node scripts/sources.js worker KEY     the sources of plugin KEY's worker executable
//   node scripts/sources.js worker-name KEY  its file name (diffqp_clp_qp)
//   node scripts/sources.js builtin-defines | include-dirs
//   node scripts/sources.js suitesparse-include | suitesparse-libs | highs | highs-version
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const list = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8'));

function fail(message) {
  console.error(`sources.js: ${message}`);
  process.exit(1);
}

// The HiGHS install scripts/setup-highs.sh leaves in the cache (same rule as CMakeLists.txt).
function highsPrefix() {
  const cache = process.env.DIFFQP_CACHE || (process.env.XDG_CACHE_HOME ? path.join(process.env.XDG_CACHE_HOME, 'diffqp') : path.join(os.homedir(), '.cache', 'diffqp'));
  const prefix = path.join(cache, `highs-${list.highs_version}`);
  if (!fs.existsSync(path.join(prefix, 'lib', 'libhighs.a'))) fail(`HiGHS is not built in ${prefix}: run \`npx diffqp setup\` (or \`npm run setup\` in the repository)`);
  return prefix;
}

function plugin(key) {
  const p = list.plugins[key];
  if (!p) fail(`no plugin '${key}' in native/sources.json (plugins: ${Object.keys(list.plugins).join(', ')})`);
  return p;
}

const [what, key] = process.argv.slice(2);
let out;
switch (what) {
  case 'addon':
    out = [...list.addon, ...list.core, ...Object.values(list.builtin_solvers).flat(), ...list.linsys, ...list.admm, ...list.ipm];
    break;
  case 'plugin':
    out = [...plugin(key).sources, ...list.plugin_common];
    break;
  case 'entry':
    out = [plugin(key).entry];
    break;
  case 'pkg-config':
    out = [plugin(key).pkg_config];
    break;
  case 'worker':
  case 'worker-name': {
    const w = plugin(key).worker;
    if (!w) fail(`plugin '${key}' has no worker in native/sources.json`);
    out = what === 'worker' ? w.sources : [w.name];
    break;
  }
  case 'plugins':
    out = Object.keys(list.plugins);
    break;
  case 'builtin-defines':
    out = [...Object.keys(list.builtin_solvers), ...Object.keys(list.plugins)].map((k) => `DIFFQP_WITH_${k.toUpperCase()}`);
    break;
  case 'include-dirs':
    out = list.include_dirs;
    break;
  case 'suitesparse-include': {
    const dir = ['/usr/include/suitesparse', '/usr/local/include/suitesparse', '/usr/include'].find((d) => fs.existsSync(path.join(d, 'ldl.h')));
    if (!dir) fail('SuiteSparse headers (ldl.h) not found: run `npx diffqp setup` (Debian: libsuitesparse-dev)');
    out = [dir];
    break;
  }
  case 'suitesparse-libs':
    out = list.suitesparse.map((l) => `-l${l}`);
    break;
  case 'highs':
    out = [highsPrefix()];
    break;
  case 'highs-version':
    out = [list.highs_version];
    break;
  default:
    fail(`unknown request '${what}'`);
}
process.stdout.write(out.join('\n') + '\n');
