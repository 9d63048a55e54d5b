#!/usr/bin/env bash
# Packaging proof (issue 13), run by `make test` (`make packaging`):
#  1. build the sdist and a wheel from a copy of the tree as a fresh clone has it (tracked and new
#     files, nothing git-ignored: no built extension, no node_modules) — node builds the extension;
#  2. the sdist carries the built extension: a wheel built from it on a PATH without node, twice,
#     is byte-identical to the wheel from the tree (reproducible: SOURCE_DATE_EPOCH);
#  3. the wheel and the sdist each install into a fresh venv on a PATH without node and pass
#     tests/packaging/smoke.py there (outside the source tree).
# Leaves the wheel in $KAP_PACKAGING_OUT (default: a temporary folder, printed) for .ci/pythons.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}   # the project venv (has `build`, from the test extra)
BASE=${BASE_PYTHON:-python3}       # the interpreter the fresh venvs are made from
OUT=${KAP_PACKAGING_OUT:-$(mktemp -d /tmp/kap-notes-packaging.XXXXXX)}
mkdir -p "$OUT"
VERSION=$("$PY" -c 'import json; print(json.load(open("labextension/package.json"))["version"])')
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
export SOURCE_DATE_EPOCH PIP_DISABLE_PIP_VERSION_CHECK=1
say() { echo "packaging: $*"; }

# A PATH without node, npm or jlpm: the fresh venv's bin and a few basic tools.
NONODE=$OUT/nonode-bin
mkdir -p "$NONODE"
for tool in sh bash env uname cat ls rm mkdir cp mv tar gzip; do
    [ -e "$NONODE/$tool" ] || ln -s "$(command -v "$tool")" "$NONODE/$tool"
done

# 1. sdist and wheel from a clean copy of the tree; a second fresh copy at the same path builds a
# second wheel (node and rspack run again: the extension's bundle must come out the same; rspack's
# module ids depend on the build folder's path, as with most bundlers, so the path is kept)
copy_tree() {
    rm -rf "$1" && mkdir -p "$1"
    git ls-files -z -co --exclude-standard |
        tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$1"
    [ ! -e "$1/src/kap_notes/labextension" ] || { say "the copy has a built extension"; exit 1; }
}
SRC=$OUT/src
rm -rf "$OUT/dist" "$OUT/wheel0" "$OUT/src-first" "$SRC"
say "building the sdist and a wheel from the tree (node builds the extension), then a second wheel"
copy_tree "$OUT/pristine"
cp -a "$OUT/pristine" "$SRC"
(cd "$SRC" && "$PY" -m build --sdist --wheel --outdir "$OUT/dist" . >"$OUT/build.log" 2>&1) ||
    { tail -n 40 "$OUT/build.log"; exit 1; }
mv "$SRC" "$OUT/src-first" && cp -a "$OUT/pristine" "$SRC"
(cd "$SRC" && "$PY" -m build --wheel --outdir "$OUT/wheel0" . >"$OUT/build0.log" 2>&1) ||
    { tail -n 40 "$OUT/build0.log"; exit 1; }
rm -rf "$OUT/src-first"
SDIST=$OUT/dist/kap_notes-$VERSION.tar.gz
WHEEL=$OUT/dist/kap_notes-$VERSION-py3-none-any.whl
tar -tzf "$SDIST" >"$OUT/sdist.txt"
grep -qx "kap_notes-$VERSION/src/kap_notes/labextension/static/style.js" "$OUT/sdist.txt" ||
    { say "the sdist lacks the built extension"; exit 1; }
grep -qx "kap_notes-$VERSION/LICENSE" "$OUT/sdist.txt" || { say "no LICENSE in the sdist"; exit 1; }
say "sdist carries the built extension and LICENSE"

# A fresh venv whose PATH has no node; $1 = folder.
fresh_venv() {
    rm -rf "$1" && "$BASE" -m venv "$1"
    "$1/bin/python" -m pip install --quiet --upgrade pip >"$1.log" 2>&1 || { cat "$1.log"; exit 1; }
}
without_node() { env PATH="$1/bin:$NONODE" "${@:2}"; }

# 2. reproducible: the wheel built from the sdist without node, twice, equals the tree's wheel
fresh_venv "$OUT/builder"
"$OUT/builder/bin/python" -m pip install --quiet "build>=1.2" >"$OUT/builder.log" 2>&1
for n in 1 2; do
    rm -rf "$OUT/rebuild$n" && mkdir -p "$OUT/rebuild$n" && tar -xzf "$SDIST" -C "$OUT/rebuild$n"
    without_node "$OUT/builder" python -m build --wheel --outdir "$OUT/wheel$n" \
        "$OUT/rebuild$n/kap_notes-$VERSION" >"$OUT/rebuild$n.log" 2>&1 ||
        { tail -n 40 "$OUT/rebuild$n.log"; exit 1; }
done
sums=$(cd "$OUT" && sha256sum {dist,wheel0,wheel1,wheel2}/"$(basename "$WHEEL")")
echo "$sums"
[ "$(echo "$sums" | awk '{print $1}' | sort -u | wc -l)" = 1 ] ||
    { say "wheels differ: not reproducible"; exit 1; }
say "reproducible: four builds (tree, twice; sdist without node, twice) give one sha256"

# 3. the wheel and the sdist each install without node and pass the smoke test
for artifact in "$WHEEL" "$SDIST"; do
    kind=${artifact##*.}
    venv=$OUT/venv-$kind work=$OUT/smoke-$kind
    fresh_venv "$venv"
    rm -rf "$work" && mkdir -p "$work"
    say "installing the $kind into a fresh venv without node"
    if [ "$kind" = gz ]; then
        # what `pip install kap-notes.tar.gz` does, minus pip's wheel cache (a cached wheel
        # would hide a build that needs node): build the wheel here, then install it
        rm -rf "$OUT/pip-wheel"
        without_node "$venv" python -m pip wheel --no-deps --no-cache-dir -w "$OUT/pip-wheel" \
            "$artifact" >"$OUT/install-$kind.log" 2>&1 ||
            { tail -n 40 "$OUT/install-$kind.log"; say "the sdist does not build without node"; exit 1; }
        cmp "$OUT/pip-wheel/$(basename "$WHEEL")" "$WHEEL" || { say "pip's wheel differs"; exit 1; }
        artifact=$OUT/pip-wheel/$(basename "$WHEEL")
    fi
    without_node "$venv" python -m pip install --quiet "$artifact" >>"$OUT/install-$kind.log" 2>&1 ||
        { tail -n 40 "$OUT/install-$kind.log"; say "the $kind does not install without node"; exit 1; }
    (cd "$work" && without_node "$venv" python "$ROOT/tests/packaging/smoke.py" "$VERSION" "$work")
done
say "wheel and sdist install without node and pass the smoke test (artifacts in $OUT/dist)"
