// npm run prebuild: the prebuilt binary for this platform in prebuilds/<platform>-<arch>/, where
// node-gyp-build finds it. prebuildify (N-API, stripped, tagged glibc) runs node-gyp over
// binding.gyp, which compiles what native/sources.json lists (as CMake does); then
// the Clp plugin's worker executable is copied beside it; scripts/bundle-libs.js copies the shared
// libraries they need beside them and checks with ldd that nothing but the C/C++ runtime is
// taken from the machine.
// node-gyp rebuild starts by deleting ./build, where cmake-js builds (npm run build:native):
// it runs in a staging folder, build-gyp/, instead.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const stage = path.join(root, 'build-gyp');
const tuple = `${process.platform}-${process.arch}`;

function step(what, cmd, args, options = {}) {
  console.log(`prebuild: ${what}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`prebuild: ${what} failed${r.error ? ` (${r.error.message})` : ''}`);
    process.exit(1);
  }
}

// The files binding.gyp reads, and the dependencies it runs (node-addon-api, node-gyp).
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(path.join(stage, 'scripts'), { recursive: true });
for (const f of ['binding.gyp', 'package.json', 'native', 'scripts/sources.js']) fs.cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));

// node-gyp would download Node's headers; the ones installed with node serve (N-API only).
const env = { ...process.env };
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
if (!env.npm_config_nodedir && fs.existsSync(path.join(nodeDir, 'include', 'node', 'common.gypi'))) env.npm_config_nodedir = nodeDir;

const prebuildify = require.resolve('prebuildify/bin.js');
step('prebuildify --napi --strip --tag-libc (node-gyp over binding.gyp)', process.execPath, [prebuildify, '--napi', '--strip', '--tag-libc'], { cwd: stage, env });

const out = path.join(root, 'prebuilds', tuple);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.cpSync(path.join(stage, 'prebuilds', tuple), out, { recursive: true });
// prebuildify copies the addon and the .so plugins; the plugins' worker executables (the Clp
// plugin's diffqp_clp_qp, listed in native/sources.json) are copied and stripped here.
const sources = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8'));
for (const plugin of Object.values(sources.plugins)) {
  if (!plugin.worker) continue;
  const file = path.join(out, plugin.worker.name);
  fs.copyFileSync(path.join(stage, 'build', 'Release', plugin.worker.name), file);
  step(`strip ${plugin.worker.name}`, 'strip', ['--strip-all', file]);
}
step('bundling the shared libraries', process.execPath, [path.join(__dirname, 'bundle-libs.js'), out], { cwd: root });
console.log(`prebuild: ${path.relative(root, out)}: ${fs.readdirSync(out).sort().join(' ')}`);
