// npm install hook for users of the package: use a prebuilt binary when one loads (prebuilds/,
// npm run prebuild), otherwise build from source with cmake-js, which needs cmake, a C++
// compiler, HiGHS in the cache and the Debian libraries: `npx diffqp setup` provides them.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
try {
  require('node-gyp-build')(root);
  process.exit(0);
} catch {
  // no usable prebuilt or earlier build: compile below
}

// What the source build needs, checked after a failed build so that the message says what is missing.
function missing() {
  const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  const cache = process.env.DIFFQP_CACHE || (process.env.XDG_CACHE_HOME ? path.join(process.env.XDG_CACHE_HOME, 'diffqp') : path.join(os.homedir(), '.cache', 'diffqp'));
  const out = [];
  if (!has('cmake', ['--version'])) out.push('cmake');
  if (!has('c++', ['--version'])) out.push('a C++ compiler (g++)');
  if (!has('pkg-config', ['--exists', 'ipopt', 'clp'])) out.push('Ipopt and Clp development files (coinor-libipopt-dev, coinor-libclp-dev)');
  if (!['/usr/include/suitesparse/ldl.h', '/usr/include/ldl.h'].some((f) => fs.existsSync(f))) out.push('SuiteSparse (libsuitesparse-dev)');
  const highs = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'native', 'sources.json'), 'utf8')).highs_version;
  if (!fs.existsSync(path.join(cache, `highs-${highs}`, 'lib', 'libhighs.a'))) out.push(`HiGHS ${highs} in ${cache}`);
  return out;
}

function howToFix(what) {
  return [
    `diffqp: ${what}`,
    `No prebuilt binary in this package matches ${process.platform}-${process.arch} (glibc), so it is built from source.`,
    'From your project, on Debian or Ubuntu, run (setup installs the Debian packages when run as root,',
    "otherwise it prints the apt-get line to run as root; then it builds HiGHS and the addon):",
    '',
    `    npm install --ignore-scripts diffqp@${pkg.version}`,
    '    npx diffqp setup',
    '',
  ].join('\n');
}

// The addon target (and its solver plugins) only: the ctest programs are for the repository.
const result = spawnSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build', '--target', 'diffqp'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  const lacking = missing();
  console.error(howToFix(`building the native addon failed${lacking.length > 0 ? `: missing ${lacking.join('; ')}` : ' (the output is above)'}.`));
  process.exit(result.status ?? 1);
}
