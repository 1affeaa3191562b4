#!/usr/bin/env bash
# Builds the native TensorFlow backend (@tensorflow/tfjs-node) without Google's download host,
# for air-gapped clusters and machines that reach only the package registries.
#
#   scripts/native-backend.sh [--wheel PATH] [--force]
#
# tfjs-node's install script downloads libtensorflow 2.9.1 from storage.googleapis.com; where it
# cannot, `npm install` drops the optional dependency silently. The PyPI wheel `tensorflow-cpu`
# (2.12.1, the oldest with a CPython 3.11 wheel) carries the same C API in
# tensorflow/libtensorflow_cc.so.2 (every TF_* / TFE_* function the binding calls) plus
# libtensorflow_framework.so.2 and the headers under tensorflow/include/. This script
#   1. installs the package's files without its install script when npm left it out
#      (`npm install --no-save --ignore-scripts @tensorflow/tfjs-node@<locked version>`),
#   2. takes the wheel from --wheel PATH, or from the cache directory, or downloads it with
#      `pip download` (it says which),
#   3. puts the two libraries into node_modules/@tensorflow/tfjs-node/deps/lib/ (libtensorflow.so
#      and libtensorflow.so.2.9.1 link to libtensorflow_cc.so.2, the names the binding and its
#      install script look for) and the headers into deps/include/,
#   4. compiles the binding against them:
#      npm_config_build_from_source=true npm rebuild @tensorflow/tfjs-node --build-from-source
#      --nodedir=/usr (Node's own headers in /usr/include/node, so node-gyp downloads nothing),
#   5. checks that `tf.getBackend() === 'tensorflow'` and that a matMul gives the right numbers.
# Idempotent: a second run finds the backend loading and does nothing (--force rebuilds).
# `npm ci` (and any reinstall of the package) wipes deps/: run this script again afterwards.
#
# Environment: VMC_TF_WHEEL_DIR (cache for the wheel; default ~/.cache/vmc/tensorflow-wheel),
# VMC_TF_VERSION (default 2.12.1), NODEDIR (default /usr), PIP (default pip3, else pip).
# Needs: node, npm, a C++ compiler and make (node-gyp), unzip or python3, and pip only when no
# wheel is given.
set -euo pipefail

die() { echo "native-backend: error: $*" >&2; exit 1; }
say() { echo "native-backend: $*"; }

WHEEL=''
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --wheel) [ $# -ge 2 ] || die "--wheel needs a path to a tensorflow-cpu .whl file"; WHEEL="$2"; shift 2 ;;
    --wheel=*) WHEEL="${1#--wheel=}"; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument \"$1\" (expected --wheel PATH, --force or --help)" ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PKG="node_modules/@tensorflow/tfjs-node"
TF_VERSION="${VMC_TF_VERSION:-2.12.1}"
WHEEL_DIR="${VMC_TF_WHEEL_DIR:-$HOME/.cache/vmc/tensorflow-wheel}"
NODEDIR="${NODEDIR:-/usr}"

command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
[ -d node_modules/@tensorflow/tfjs ] || die "no node_modules/@tensorflow/tfjs in $ROOT: run 'npm install' first"

# The backend check used before and after the build: loads the binding, runs a matMul.
check_backend() {
  TF_CPP_MIN_LOG_LEVEL=2 node -e '
    const tf = require("@tensorflow/tfjs-node");
    tf.ready().then(() => {
      const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
      if (tf.getBackend() !== "tensorflow") throw new Error("backend is " + tf.getBackend());
      if (c[0] !== 17 || c[1] !== 39) throw new Error("matMul gave " + Array.from(c));
      console.log("tf.getBackend() = " + tf.getBackend() + ", tfjs-node " + tf.version["tfjs-node"]);
    });' 2>&1
}

if [ "$FORCE" -eq 0 ] && [ -f "$PKG/package.json" ] && out="$(check_backend)"; then
  say "already built, nothing to do ($out); use --force to rebuild"
  exit 0
fi

# 1. The package itself. Its version comes from package-lock.json so the tree stays as locked.
VERSION="$(node -e '
  const lock = require("./package-lock.json");
  const p = (lock.packages || {})["node_modules/@tensorflow/tfjs-node"];
  if (!p) process.exit(1);
  console.log(p.version);')" || die "package-lock.json has no entry for @tensorflow/tfjs-node"
deps_ok() {
  # the binding's own runtime dependencies, which `npm install` of the package provides
  (cd "$PKG" && node -e 'for (const m of ["@mapbox/node-pre-gyp", "google-protobuf", "adm-zip", "rimraf"]) require.resolve(m)') 2>/dev/null
}
if [ ! -f "$PKG/package.json" ] || ! deps_ok; then
  say "installing @tensorflow/tfjs-node@$VERSION without its install script (which would download from Google's storage)"
  npm install --no-save --no-audit --no-fund --ignore-scripts "@tensorflow/tfjs-node@$VERSION" \
    || die "npm could not install @tensorflow/tfjs-node@$VERSION (is the npm registry reachable?)"
  deps_ok || die "@tensorflow/tfjs-node is installed but its dependencies (@mapbox/node-pre-gyp, google-protobuf, ...) do not resolve"
else
  say "@tensorflow/tfjs-node@$(node -p 'require("./'"$PKG"'/package.json").version') is installed"
fi

# 2. The wheel.
if [ -n "$WHEEL" ]; then
  [ -f "$WHEEL" ] || die "--wheel $WHEEL: no such file"
  say "using the wheel given: $WHEEL"
else
  WHEEL="$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -n "$WHEEL" ]; then
    say "using the cached wheel $WHEEL"
  else
    PIP="${PIP:-$(command -v pip3 || command -v pip || true)}"
    [ -n "$PIP" ] || die "no wheel given and no pip to download one: pass --wheel PATH to a tensorflow_cpu-$TF_VERSION wheel"
    mkdir -p "$WHEEL_DIR"
    say "downloading tensorflow-cpu==$TF_VERSION with $PIP into $WHEEL_DIR (about 230 MB)"
    # Platform and ABI pinned: the libraries do not depend on the local Python's version.
    "$PIP" download "tensorflow-cpu==$TF_VERSION" --no-deps --only-binary=:all: \
        --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp -d "$WHEEL_DIR" \
      || die "pip could not download tensorflow-cpu==$TF_VERSION; on a machine without PyPI copy the wheel here and pass --wheel PATH"
    WHEEL="$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
    [ -n "$WHEEL" ] || die "pip reported success but no tensorflow_cpu-$TF_VERSION-*.whl is in $WHEEL_DIR"
  fi
fi

# 3. Libraries and headers into deps/.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
say "unpacking libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the headers"
MEMBERS=(tensorflow/libtensorflow_cc.so.2 tensorflow/libtensorflow_framework.so.2 'tensorflow/include/*')
if command -v unzip >/dev/null; then
  unzip -q "$WHEEL" "${MEMBERS[@]}" -d "$TMP" || die "$WHEEL is not a tensorflow-cpu wheel (unzip found no tensorflow/libtensorflow_cc.so.2 or tensorflow/include/)"
elif command -v python3 >/dev/null; then
  python3 - "$WHEEL" "$TMP" <<'EOF' || die "$WHEEL is not a tensorflow-cpu wheel"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2') or n.startswith('tensorflow/include/')]
z.extractall(sys.argv[2], names)
EOF
else
  die "need unzip or python3 to unpack the wheel"
fi
SRC="$TMP/tensorflow"
for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2 include/tensorflow/c/c_api.h include/tensorflow/c/eager/c_api.h; do
  [ -e "$SRC/$f" ] || die "$WHEEL has no tensorflow/$f"
done
if command -v nm >/dev/null; then
  # (grep without -q: an early exit would kill nm with SIGPIPE and fail the pipe under pipefail)
  nm -D --defined-only "$SRC/libtensorflow_cc.so.2" | grep ' TFE_NewContext' >/dev/null \
    || die "$SRC/libtensorflow_cc.so.2 does not export TFE_NewContext (not a usable TensorFlow C library)"
fi
rm -rf "$PKG/deps"
mkdir -p "$PKG/deps/lib"
cp "$SRC/libtensorflow_cc.so.2" "$SRC/libtensorflow_framework.so.2" "$PKG/deps/lib/"
# The binding links -ltensorflow -ltensorflow_framework; install.js looks for libtensorflow.so.2.9.1.
ln -s libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -s libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so.2.9.1"
ln -s libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"
cp -R "$SRC/include" "$PKG/deps/include"
say "deps/ holds $(du -sh "$PKG/deps" | cut -f1) from $(basename "$WHEEL")"

# 4. Compile the binding (about 10-20 s) against them and Node's own headers.
[ -f "$NODEDIR/include/node/node_api.h" ] || die "no Node headers in $NODEDIR/include/node (set NODEDIR to the prefix that has include/node/node_api.h)"
command -v make >/dev/null || die "make is not on PATH (node-gyp needs make and a C++ compiler)"
command -v "${CXX:-g++}" >/dev/null || command -v c++ >/dev/null || die "no C++ compiler on PATH (node-gyp needs one)"
say "compiling the binding: npm rebuild @tensorflow/tfjs-node --build-from-source --nodedir=$NODEDIR"
LOG="$TMP/rebuild.log"
if ! npm_config_build_from_source=true npm rebuild @tensorflow/tfjs-node --build-from-source --nodedir="$NODEDIR" >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  die "npm rebuild of @tensorflow/tfjs-node failed (log above)"
fi

# 5. Check.
if ! out="$(check_backend)"; then
  echo "$out" >&2
  die "the binding was built but does not load as the tensorflow backend (error above)"
fi
say "ok: $out"
