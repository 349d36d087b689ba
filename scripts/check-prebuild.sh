#!/usr/bin/env bash
# npm run check:prebuild — the packed package on a bare Debian 12 root: debootstrap --variant=minbase
# (no compiler, no -dev package, none of the solver libraries), this machine's Node and npm copied
# in, the `npm pack` tarball installed from the registry into a fresh project there, then
# scripts/check-prebuild-consumer.js run inside: every solver solves and differentiates a QP with a
# known answer, and no shared library may resolve (ldd) or be mapped (/proc/self/maps) from outside
# node_modules/diffqp/ but the C/C++ runtime. Last, the bundled Ipopt library is deleted from the
# installed package: ipopt must be missing with a reason and the other solvers still work.
#
# Needs root (debootstrap, chroot, mount) and a prebuild in prebuilds/ (`npm run prebuild`).
# The root is built once into ${DIFFQP_CACHE:-~/.cache/diffqp}/rootfs-bookworm (delete it to
# rebuild) from the Debian mirror this machine's apt uses (DIFFQP_DEBIAN_MIRROR overrides it);
# each run works on a fresh copy. DIFFQP_PREBUILD_KEEP=1 keeps the copy and prints its path.
# Exit status 1 when any step failed; every failure is a line starting with "FAIL".
set -uo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${DIFFQP_CACHE:-$HOME/.cache/diffqp}"
base="$cache/rootfs-bookworm"
project=/home/consumer  # inside the root
npm_install_limit=30    # seconds

die() { echo "FAIL check-prebuild: $*" >&2; exit 1; }
status=0
failed() { echo "FAIL check-prebuild: $*"; status=1; }
t_run=$EPOCHREALTIME
t_step=$EPOCHREALTIME
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
step() {
  printf 'check-prebuild: %-60s %6s s (%s s in all)\n' "$1" "$(since "$t_step")" "$(since "$t_run")"
  t_step=$EPOCHREALTIME
}

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then exec sudo -n -E bash "$0" "$@"; fi
  die "needs root (debootstrap, chroot, mount /proc): run it as root"
fi
[ "$(uname -m)" = x86_64 ] || die "written for linux-x64 (this is $(uname -m))"
prebuilds="$root_dir/prebuilds/linux-x64"
[ -d "$prebuilds" ] && [ -n "$(ls -A "$prebuilds")" ] || die "$prebuilds is empty: run npm run prebuild first"

# The first Debian (not security, not third-party) bookworm source apt reads, one-line or deb822.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                       if ($(i + 1) == "bookworm") { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         { uri = ""; deb = 0; suite = 0; off = 0
           for (j = 1; j <= NF; j++) {
             if ($j ~ /^Types:/ && $j ~ /[ \t]deb([ \t]|$)/) deb = 1
             if ($j ~ /^URIs:/) { split($j, a, /[ \t]+/); uri = a[2] }
             if ($j ~ /^Suites:/ && $j ~ /[ \t]bookworm([ \t]|$)/) suite = 1
             if ($j ~ /^Enabled:[ \t]*no/) off = 1
           }
           if (deb && suite && !off && uri != "") { print uri; exit } }' "$f"
  done
}

# 1. The cached minimal root; no compiler and no -dev package in it.
if [ ! -f "$base.ok" ] || [ ! -d "$base" ]; then
  if ! command -v debootstrap >/dev/null; then
    echo "check-prebuild: installing debootstrap"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; } \
      >/tmp/diffqp-debootstrap-apt.log 2>&1 || { tail -n 20 /tmp/diffqp-debootstrap-apt.log; die "apt-get install debootstrap failed"; }
  fi
  mirror="${DIFFQP_DEBIAN_MIRROR:-$(debian_mirror | head -n 1)}"
  [ -n "$mirror" ] || die "no Debian bookworm source in /etc/apt/sources.list{,.d/*}: set DIFFQP_DEBIAN_MIRROR"
  echo "check-prebuild: debootstrap --variant=minbase bookworm from $mirror into $base"
  rm -rf --one-file-system "$base.partial"
  mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$base.partial" "$mirror" >/tmp/diffqp-debootstrap.log 2>&1 ||
    { tail -n 20 /tmp/diffqp-debootstrap.log; die "debootstrap failed (log: /tmp/diffqp-debootstrap.log)"; }
  rm -rf --one-file-system "$base"
  mv "$base.partial" "$base"
  echo "$mirror" >"$base.ok"
  step "debootstrap (cached for the next run)"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/diffqp-prebuild.XXXXXX")"
root="$work/root"
cleanup() {
  # /proc first; the files are removed only when nothing is mounted below the copy any more.
  if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc" || umount -l "$root/proc"; fi
  if grep -q " $work/" /proc/mounts; then
    echo "check-prebuild: still mounted below $work, not removing it" >&2
  elif [ "${DIFFQP_PREBUILD_KEEP:-}" = 1 ]; then
    echo "check-prebuild: kept $work"
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp -a "$base" "$root" || die "copying $base failed"
found="$(chroot "$root" dpkg-query -W -f '${Package}\n' | grep -E -- '-dev(:|$)' | tr '\n' ' ')"
[ -z "$found" ] || die "the root has -dev packages: $found"
for tool in cc c++ gcc g++ cpp clang make cmake ld; do
  for dir in usr/bin bin usr/local/bin; do
    [ ! -e "$root/$dir/$tool" ] || die "the root has a compiler or build tool: /$dir/$tool"
  done
done
step "fresh root ($(chroot "$root" dpkg-query -W -f '.\n' | wc -l) packages; no compiler, no -dev)"

# 2. Node, npm, name resolution, the registry and its CA file; /proc mounted (ldd, maps).
node_bin="$(node -p process.execPath)"
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
[ -f "$npm_dir/bin/npm-cli.js" ] || die "npm's folder not found (looked at $npm_dir)"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
cp "$node_bin" "$root/usr/local/bin/node" && cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm" ||
  die "copying node ($node_bin) or npm ($npm_dir) into the root failed"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
{
  echo "registry=$(npm config get registry)"
  cafile="$(npm config get cafile)"
  if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then
    mkdir -p "$root$(dirname "$cafile")"
    cp -L "$cafile" "$root$cafile"
    echo "cafile=$cafile"
  fi
  echo "update-notifier=false"
} >"$root/root/.npmrc"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  mkdir -p "$root$(dirname "$NODE_EXTRA_CA_CERTS")"
  cp -L "$NODE_EXTRA_CA_CERTS" "$root$NODE_EXTRA_CA_CERTS"
fi
mount -t proc proc "$root/proc" || die "mount -t proc into the root failed"
chroot_bin="$(command -v chroot)"
# Commands in the root see only this environment (proxy settings are passed on when set).
in_root() {
  local env=(HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8)
  local v
  for v in NODE_EXTRA_CA_CERTS HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy DIFFQP_EXPECT_MISSING; do
    [ -z "${!v:-}" ] || env+=("$v=${!v}")
  done
  env -i "${env[@]}" "$chroot_bin" "$root" /bin/sh -c "cd $project && $1"
}
mkdir -p "$root$project"
echo '{ "name": "diffqp-prebuild-consumer", "version": "1.0.0", "private": true }' >"$root$project/package.json"
cp "$root_dir/scripts/check-prebuild-consumer.js" "$root$project/check.js"
in_root 'node --version >/dev/null && npm --version >/dev/null' || die "node or npm does not run in the root"
step "node $("$node_bin" --version) and npm $(in_root 'npm --version') copied in"

# 3. The tarball (prepack builds the TypeScript) installed from the registry, timed.
(cd "$root_dir" && npm pack --silent --pack-destination "$root/tmp" >/dev/null) || die "npm pack failed"
tarball="$(cd "$root/tmp" && ls diffqp-*.tgz)"
shipped="$(tar -tzf "$root/tmp/$tarball" | grep -c '^package/prebuilds/linux-x64/.')"
[ "$shipped" -gt 0 ] || die "$tarball has nothing under prebuilds/linux-x64/"
step "packed $tarball ($shipped files under prebuilds/linux-x64/)"
t0=$EPOCHREALTIME
in_root "npm install --no-audit --no-fund --loglevel=error /tmp/$tarball" >"$work/npm-install.log" 2>&1
rc=$?
seconds="$(since "$t0")"
if [ $rc -ne 0 ]; then
  tail -n 15 "$work/npm-install.log" | sed 's/^/  npm: /'
  failed "npm install of the tarball in the root failed (exit $rc, ${seconds} s)"
  # Installed without its install script, the package can still say what it is missing.
  in_root "npm install --no-audit --no-fund --loglevel=error --ignore-scripts /tmp/$tarball" >>"$work/npm-install.log" 2>&1 ||
    { tail -n 15 "$work/npm-install.log"; die "npm install --ignore-scripts failed too"; }
  step "npm install failed; installed with --ignore-scripts to look further"
else
  if awk -v s="$seconds" -v l="$npm_install_limit" 'BEGIN { exit !(s >= l) }'; then
    failed "npm install took ${seconds} s (limit ${npm_install_limit} s)"
  fi
  step "npm install of the tarball: ${seconds} s (limit ${npm_install_limit} s)"
fi

# 4. Every solver, ldd and /proc/self/maps, inside the root.
echo "check-prebuild: every solver, ldd, /proc/self/maps:"
in_root 'node check.js' || failed "the consumer program failed in the root (lines above)"
step "consumer program"

# 5. Ipopt's bundled library hidden (or, failing that, its plugin): the other solvers still work.
pkg="$root$project/node_modules/diffqp"
mapfile -t hide < <(find "$pkg/prebuilds" -name 'libipopt*' 2>/dev/null)
[ ${#hide[@]} -gt 0 ] || mapfile -t hide < <(find "$pkg/prebuilds" -name '*ipopt*' 2>/dev/null)
if [ ${#hide[@]} -eq 0 ]; then
  failed "nothing named *ipopt* in the installed prebuild: its libraries are not bundled as separate files (npm run prebuild), so one solver's library cannot be hidden"
else
  echo "check-prebuild: hidden: ${hide[*]#"$pkg/"}"
  rm -f "${hide[@]}"
  DIFFQP_EXPECT_MISSING=ipopt in_root 'node check.js' || failed "with Ipopt's library hidden (lines above)"
fi
step "one solver library hidden"

if [ $status -eq 0 ]; then echo "check-prebuild: passed"; else echo "check-prebuild: FAILED (lines starting with FAIL)"; fi
exit $status
