#!/bin/sh
# check.sh BUILD_DIR SOURCE_DIR: installs the build into a fresh prefix, then builds
# and runs tests/package/consumer against it with CMake (find_package) and with
# pkg-config, and configures tests/package/subproject (add_subdirectory).
set -eu
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/arenas"
export GLEAK_DIR="$work/arenas"

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/package/consumer" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/log" 2>&1 ||
  { cat "$work/log"; exit 1; }
cmake --build "$work/cmake" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
cli=$(cat "$work/cmake/gleak_cli_path")
case "$cli" in
  "$work/prefix/"*) ;;
  *) echo "check.sh: gleak::gleak is $cli, not the installed command" >&2; exit 1 ;;
esac
GLEAK_CLI="$cli" "$work/cmake/consumer"
GLEAK_CLI="$cli" "$work/cmake/consumer_test" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
"$work/cmake/consumer_inspect"

# pkg-config, as a Makefile or a plain compiler call would use it.
flags=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs gleak)
g++ -O2 -g "$src/tests/package/consumer/main.cc" -o "$work/consumer_pc" $flags
GLEAK_CLI="$cli" "$work/consumer_pc"

# add_subdirectory(): gleak's tests and samples are off unless asked for.
cmake -S "$src/tests/package/subproject" -B "$work/sub" -G Ninja -DGLEAK_SOURCE_DIR="$src" >"$work/log" 2>&1 ||
  { cat "$work/log"; exit 1; }
grep -q '^GLEAK_BUILD_TESTS:BOOL=OFF' "$work/sub/CMakeCache.txt"
grep -q '^GLEAK_BUILD_SAMPLES:BOOL=OFF' "$work/sub/CMakeCache.txt"
# Turned on, gleak's samples keep to their gleak_sample_ prefix.
cmake -S "$src/tests/package/subproject" -B "$work/sub" -DGLEAK_BUILD_SAMPLES=ON >"$work/log" 2>&1 ||
  { cat "$work/log"; exit 1; }
echo "check.sh: the installed package works with find_package, pkg-config and add_subdirectory"
