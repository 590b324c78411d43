#!/usr/bin/env bash
# Build the Debian packages raspiplc, raspiplc-dev and python3-raspiplc (debian/) for each
# architecture, natively or with Debian's cross compilers, and check them with
# lintian: any E: or W: tag fails.
#   scripts/package.sh [--out DIR] ARCH...      (ARCH: amd64 arm64 armhf)
# DIR (default build/packages) gets raspiplc_VERSION_ARCH.deb,
# raspiplc-dev_VERSION_ARCH.deb, python3-raspiplc_VERSION_all.deb and the
# build's log, raspiplc_VERSION_ARCH.build.
# Each build runs in DIR/src-ARCH on a copy of the files git tracks (of every
# file but build*/ where there is no git), removed when the build succeeds.
# It installs what is missing first (root or sudo): the architecture, its
# cross compiler, the build dependencies debian/control names, lintian.
# DEB_BUILD_OPTIONS=nocheck: the tests are not built (scripts/test.sh runs
# them); no -dbgsym packages.
set -euo pipefail
usage() { echo "usage: $0 [--out DIR] ARCH... (amd64 arm64 armhf)" >&2; exit 2; }
out=
arches=()
while (($#)); do
  case $1 in
    --out) (($# > 1)) || usage; out=$(realpath -m "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    amd64 | arm64 | armhf) arches+=("$1"); shift ;;
    *) echo "package: unknown argument '$1'" >&2; usage ;;
  esac
done
((${#arches[@]})) || usage
cd "$(dirname "$0")/.."
src=$PWD
out=${out:-$src/build/packages}

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "package: need root (or sudo) to install packages" >&2; exit 1; }
  sudo=(sudo)
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
updated=
apt_install() { # apt_install ARGS...: apt-get update once, then install
  [ -n "$updated" ] || { "${sudo[@]}" apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null
}
missing=()
for p in dpkg-dev lintian; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "package: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

# The version is the project's (CMakeLists.txt); debian/changelog must agree.
version=$(dpkg-parsechangelog -l debian/changelog -SVersion)
project=$(sed -n 's/^project(raspiplc VERSION \([^ )]*\).*/\1/p' CMakeLists.txt)
if [ "${version%-*}" != "$project" ]; then
  echo "package: debian/changelog is at $version, CMakeLists.txt at $project:" \
    "add a changelog entry (dch -v $project)" >&2
  exit 1
fi

# copy_tree DEST: the source as git has it, or all of it but builds and DIR.
copy_tree() {
  mkdir -p "$1"
  if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
    git ls-files -z | while IFS= read -r -d '' f; do
      if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi # not deleted since
    done | tar --null -T - -cf - | tar -xf - -C "$1"
  else
    local skip=()
    case $out in "$src"/*) skip=(--exclude="./${out#"$src"/}") ;; esac
    tar --exclude='./build*' --exclude=./.git "${skip[@]}" -cf - . | tar -xf - -C "$1"
  fi
}

native=$(dpkg --print-architecture)
mkdir -p "$out"
for arch in "${arches[@]}"; do
  start=$SECONDS
  profiles=nocheck
  if [ "$arch" != "$native" ]; then
    profiles=nocheck,cross
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      echo "package: adding architecture $arch"
      "${sudo[@]}" dpkg --add-architecture "$arch"
      updated=
    fi
    installed "crossbuild-essential-$arch" || {
      echo "package: installing crossbuild-essential-$arch"
      apt_install "crossbuild-essential-$arch"
    }
  fi

  scratch=$out/src-$arch
  tree=$scratch/raspiplc-$version
  rm -rf "$scratch"
  copy_tree "$tree"
  if ! (cd "$tree" && dpkg-checkbuilddeps -a "$arch" -P "$profiles") 2>/dev/null; then
    echo "package: installing the build dependencies for $arch"
    [ -n "$updated" ] || { "${sudo[@]}" apt-get update -qq; updated=1; }
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get build-dep -y -qq -a "$arch" \
      -P "$profiles" "$tree" >/dev/null
  fi

  log=$out/raspiplc_${version}_$arch.build
  echo "package: building for $arch in $scratch (log: $log)"
  if ! (cd "$tree" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b -a "$arch" --build-profiles="$profiles") >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "package: the build for $arch failed (log: $log; tree: $tree)" >&2
    exit 1
  fi
  debs=()
  for p in raspiplc raspiplc-dev; do
    mv -f "$scratch/${p}_${version}_$arch.deb" "$out/"
    debs+=("$out/${p}_${version}_$arch.deb")
  done
  # python3-raspiplc is arch all: each architecture's build makes the same one.
  mv -f "$scratch/python3-raspiplc_${version}_all.deb" "$out/"
  debs+=("$out/python3-raspiplc_${version}_all.deb")
  rm -rf "$scratch"

  # lintian says nothing when it is clean; it refuses to be quiet about root.
  rc=0
  lintian --fail-on error,warning "${debs[@]}" 2>&1 | grep -v 'running with root privileges' ||
    rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    echo "package: lintian found errors or warnings in the $arch packages" >&2
    exit 1
  fi
  for d in "${debs[@]}"; do
    echo "$d $(numfmt --to=iec --suffix=B "$(stat -c %s "$d")")"
  done
  echo "package: $arch done in $((SECONDS - start)) s, lintian clean"
done
