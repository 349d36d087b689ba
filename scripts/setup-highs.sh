#!/usr/bin/env bash
# Builds HiGHS from Debian's source package once, into a cache outside the clone.
# Debian bookworm has no HiGHS; trixie's source package builds fine here. We use a
# private apt configuration so the machine's own apt setup is never touched, and we
# verify the tarball against the sha256 from the signed Sources index.
set -euo pipefail

HIGHS_VERSION="$(node "$(dirname "$0")/sources.js" highs-version)"  # native/sources.json
CACHE="${DIFFQP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/diffqp}"
PREFIX="$CACHE/highs-$HIGHS_VERSION"

if [[ -f "$PREFIX/.built" ]]; then
  echo "highs: cached at $PREFIX"
  exit 0
fi

APT_DIR="$CACHE/apt"
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/etc/sources.list.d" "$APT_DIR/etc/preferences.d"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  > "$APT_DIR/etc/sources.list"
APT_OPTS=(
  -o "Dir::Etc::sourcelist=$APT_DIR/etc/sources.list"
  -o "Dir::Etc::sourceparts=$APT_DIR/etc/sources.list.d"
  -o "Dir::Etc::preferencesparts=$APT_DIR/etc/preferences.d"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)

echo "highs: reading the signed trixie Sources index (private apt configuration)"
apt-get "${APT_OPTS[@]}" -qq update

# --print-uris prints: 'URI' filename size SHA256:hash  (hash from the verified index)
line="$(apt-get "${APT_OPTS[@]}" -qq source --print-uris "highs=${HIGHS_VERSION}+ds-1" 2>/dev/null | grep "orig.tar" | head -n 1 || true)"
if [[ -z "$line" ]]; then
  line="$(apt-get "${APT_OPTS[@]}" -qq source --print-uris highs 2>/dev/null | grep "orig.tar" | head -n 1 || true)"
fi
if [[ -z "$line" ]]; then
  echo "highs: the Sources index does not list a highs orig tarball" >&2
  exit 1
fi
uri="$(echo "$line" | awk '{print $1}' | tr -d "'")"
file="$(echo "$line" | awk '{print $2}')"
hash="$(echo "$line" | awk '{print $4}' | sed 's/^SHA256://')"
if [[ ${#hash} -ne 64 ]]; then
  echo "highs: no SHA256 for $file in the Sources index (got '$hash')" >&2
  exit 1
fi

SRC="$CACHE/src"
mkdir -p "$SRC"
if [[ ! -f "$SRC/$file" ]] || ! echo "$hash  $SRC/$file" | sha256sum -c --status; then
  echo "highs: downloading $file"
  curl -fsSL --retry 3 -o "$SRC/$file.part" "$uri"
  mv "$SRC/$file.part" "$SRC/$file"
fi
echo "$hash  $SRC/$file" | sha256sum -c --status || { echo "highs: checksum mismatch for $file" >&2; rm -f "$SRC/$file"; exit 1; }
echo "highs: sha256 verified against the signed Sources index"

rm -rf "$SRC/highs-src" "$SRC/highs-build"
mkdir -p "$SRC/highs-src"
tar -xf "$SRC/$file" -C "$SRC/highs-src" --strip-components=1

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S "$SRC/highs-src" -B "$SRC/highs-build" "${GEN[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DBUILD_TESTING=OFF -DBUILD_EXAMPLES=OFF -DFAST_BUILD=ON \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" > "$SRC/highs-configure.log"
cmake --build "$SRC/highs-build" --parallel "$(nproc)" > "$SRC/highs-build.log"
cmake --install "$SRC/highs-build" > /dev/null
rm -rf "$SRC/highs-build" "$SRC/highs-src"
touch "$PREFIX/.built"
echo "highs: built into $PREFIX"
