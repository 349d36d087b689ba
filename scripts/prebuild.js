// Copies the cmake-js build into prebuildify's layout (prebuilds/<platform>-<arch>/),
// where node-gyp-build looks first. One build system (CMake), one layout for loaders.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'diffqp.node');
if (!fs.existsSync(built)) {
  console.error(`prebuild: ${built} is missing; run npm run build:native first`);
  process.exit(1);
}
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
const target = path.join(dir, 'diffqp.napi.node');
fs.copyFileSync(built, target);
console.log(`prebuild: ${path.relative(root, target)}`);
