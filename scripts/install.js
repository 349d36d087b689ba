// npm install hook for users of the package: use a prebuilt binary when one loads,
// otherwise build with cmake-js (which needs the libraries `npm run setup` installs).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
try {
  require('node-gyp-build')(root);
  process.exit(0);
} catch {
  // no usable prebuilt or earlier build: compile below
}
// The addon target only: the ctest programs are for this repository's `npm run build:native`.
const result = spawnSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build', '--target', 'diffqp'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error('diffqp: building the native addon failed. On Debian 12, `npm run setup` installs what it needs.');
  process.exit(result.status ?? 1);
}
