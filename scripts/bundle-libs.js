// Makes a prebuild folder self-contained: copies every shared library its ELF files (the addon,
// the plugins, the Clp plugin's worker executable) need (from ldd, transitively) that is not
// part of the C/C++ runtime into the folder, strips the copies, sets RUNPATH $ORIGIN on every
// file (Debian's patchelf), adds each library's Debian copyright file under licenses/, and checks
// with ldd that nothing resolves outside the folder but the runtime. Exits 1 when something does
// (or is not found).
//   node scripts/bundle-libs.js prebuilds/linux-x64
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// What every glibc Linux has: libc and its parts, the loader, the GCC C++ runtime.
const RUNTIME = /^(linux-vdso\.so\.1|ld-linux[-\w.]*\.so\.\d+|lib(c|m|mvec|pthread|dl|rt)\.so\.\d+|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$/;

function fail(message) {
  console.error(`bundle-libs: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) fail(`${cmd} could not run (${r.error.message})${cmd === 'patchelf' ? ': apt-get install patchelf' : ''}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

// [{ name, path }] of the libraries `file` loads; path null when not found.
function dependencies(file) {
  const deps = [];
  for (const line of run('ldd', [file]).split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(not found|(\S+)\s+\(0x[0-9a-f]+\))/.exec(line);
    if (m) deps.push({ name: m[1], path: m[2] === 'not found' ? null : m[3] });
    const loader = /^\s*(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (loader) deps.push({ name: path.basename(loader[1]), path: loader[1] });
  }
  return deps;
}

// Ours: the addon, the plugins (diffqp_KEY.so) and their worker executables (diffqp_clp_qp).
const isOurs = (name) => /\.node$/.test(name) || /^diffqp_\w+\.so$/.test(name) || /^diffqp_\w+_qp$/.test(name);
const isElf = (name) => isOurs(name) || /\.so(\.[\d.]+)?$|\.so$/.test(name) || /\.so\./.test(name);

const dir = path.resolve(process.argv[2] || '');
if (!process.argv[2] || !fs.existsSync(dir)) fail('usage: node scripts/bundle-libs.js PREBUILD_FOLDER');
const ours = fs.readdirSync(dir).filter(isOurs);
if (!ours.some((f) => f.endsWith('.node'))) fail(`${dir} holds no .node file`);

// 1. Copy what is needed, breadth first over the copies themselves.
const queue = ours.map((f) => path.join(dir, f));
const copied = new Map();  // soname → source path
while (queue.length > 0) {
  const file = queue.shift();
  for (const dep of dependencies(file)) {
    if (RUNTIME.test(dep.name)) continue;
    if (dep.path === null) fail(`${path.basename(file)} needs ${dep.name}, which is not found on this machine`);
    const target = path.join(dir, dep.name);
    if (copied.has(dep.name) || path.dirname(fs.realpathSync(dep.path)) === fs.realpathSync(dir)) continue;
    const source = fs.realpathSync(dep.path);
    fs.copyFileSync(source, target);
    fs.chmodSync(target, 0o644);
    run('strip', ['--strip-unneeded', target]);
    copied.set(dep.name, source);
    queue.push(target);
  }
}

// 2. Every ELF file finds its libraries beside itself first.
for (const f of fs.readdirSync(dir).filter(isElf)) run('patchelf', ['--set-rpath', '$ORIGIN', path.join(dir, f)]);

// 3. The Debian copyright file of every package a library came from.
const licenses = path.join(dir, 'licenses');
fs.mkdirSync(licenses, { recursive: true });
const packages = new Map();
for (const [name, source] of copied) {
  let pkg = null;
  for (const candidate of [source, source.replace(/^\/usr\/lib\//, '/lib/'), source.replace(/^\/lib\//, '/usr/lib/')]) {
    const r = spawnSync('dpkg-query', ['-S', candidate], { encoding: 'utf8' });
    if (r.status === 0) {
      pkg = r.stdout.split(':')[0].trim();
      break;
    }
  }
  if (pkg === null) fail(`${name} (${source}) belongs to no Debian package: its licence is unknown`);
  packages.set(pkg, [...(packages.get(pkg) || []), name]);
}
const index = [];
for (const [pkg, libs] of [...packages].sort()) {
  const copyright = `/usr/share/doc/${pkg}/copyright`;
  if (!fs.existsSync(copyright)) fail(`${copyright} is missing (the licence of ${libs.join(', ')})`);
  fs.copyFileSync(copyright, path.join(licenses, `${pkg}.copyright`));
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  index.push(`${pkg} ${version}: ${libs.sort().join(', ')}`);
}
fs.writeFileSync(path.join(licenses, 'README'), `Shared libraries bundled with this prebuild, by the Debian package they were copied from\n(the package's copyright file is beside this one):\n\n${index.join('\n')}\n`);

// 4. The check: from the folder, nothing but the runtime resolves outside it.
const real = fs.realpathSync(dir);
const outside = [];
let bytes = 0;
for (const f of fs.readdirSync(dir).filter(isElf)) {
  const file = path.join(dir, f);
  bytes += fs.statSync(file).size;
  for (const dep of dependencies(file)) {
    if (RUNTIME.test(dep.name)) continue;
    if (dep.path === null || path.dirname(fs.realpathSync(dep.path)) !== real) outside.push(`${f} → ${dep.name} ${dep.path ?? 'not found'}`);
  }
}
if (outside.length > 0) fail(`libraries resolved outside ${dir}:\n  ${outside.join('\n  ')}`);
console.log(`bundle-libs: ${copied.size} libraries from ${packages.size} Debian packages copied into ${path.relative(process.cwd(), dir) || dir}; ${fs.readdirSync(dir).filter(isElf).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB; ldd: nothing outside but the C/C++ runtime`);
