#!/usr/bin/env bash
# The Node benchmark (`npm run bench:node`: ours and the copy-kernel ceilings,
# under Dawn) on a machine that has a GPU but no Node.js, Chromium or
# network, such as the device machine the `device` tool lends.
#
#   bash scripts/device-bench.sh pack        here (needs Node and node_modules)
#   bash scripts/device-bench.sh run [FLAGS] there (needs bash, coreutils, and
#                                            xz or python3 for the first unpack)
#
# pack (also `npm run bench:device:pack`) builds .device-bench/ (git-ignored;
# DEVICE_BENCH_DIR to move it), about 28 MiB: the bench bundled into one
# module (bench/node-main.ts + bench/ + src/, shaders inlined), this Node
# binary and the webgpu package's dawn.node (stripped, xz), the Vulkan loader
# and a fallback libstdc++. See scripts/device-bench/pack.mjs. Pack again
# after changing src/ or bench/: the bundle is what runs there. Re-packing
# keeps the compressed binaries while their sources are unchanged (seconds).
#
# run unpacks the binaries into $DEVICE_BENCH_WORK (default
# ${TMPDIR:-/tmp}/webgpu-act-device-bench, never inside the pack, which must
# stay small enough to carry), puts the carried libvulkan.so.1 first on
# LD_LIBRARY_PATH, and runs the bundle with the carried Node:
#   - WEBGPU_ACT_REAL_GPU=1, or a GPU device node (/dev/nvidia0,
#     /dev/dri/renderD*): the machine's own Vulkan driver (VK_ICD_FILENAMES
#     left unset; where the loader's usual folders hold no NVIDIA driver file
#     and /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json exists,
#     VK_DRIVER_FILES names it). A CPU adapter (SwiftShader, llvmpipe,
#     fallback) is then reported as a failure: those are not GPU figures.
#   - otherwise: SwiftShader from Debian's chromium, as scripts/with-webgpu.mjs
#     does (how it is tested here).
# With FLAGS (bench:node's: --ops relu --sizes 1K --dtypes float32 --samples 3
# --latency 0 --table ...) it runs those once, as phase "custom". Without, it
# runs the fixed quick selection below, phase by phase, each a fresh process,
# the most wanted first, within DEVICE_BENCH_BUDGET_S seconds (default 270, so one device
# call of under 5 minutes gives real-GPU figures): a phase that would start
# with under 20 s left is skipped, one that runs past the budget is stopped.
# DEVICE_BENCH_PHASES="headline f32-16M" picks phases by name.
#
# It writes under $OUT if set, else .device-bench/out (at most 8 files, none
# in a subfolder, as the device tool brings back):
#   summary.md          machine, driver, each phase's table, what failed
#   log.txt             everything printed, progress lines included
#   node-PHASE.json     each phase's results (bench/results/node.json's form)
#   manifest.json       what the pack held (commit, Node, webgpu versions)
# Exit status: 0 when every phase that ran wrote its results (and, on a GPU,
# on a GPU adapter), 1 otherwise, 2 for a usage error.
#
# With the device tool (nothing depends on it; CI never runs it):
#   here:   npm run bench:device:pack
#   run:    carry [".device-bench"], timeout_s 360, command
#           WEBGPU_ACT_REAL_GPU=1 bash scripts/device-bench.sh run
#   then:   read summary.md and node-*.json from the call's files ($OUT).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${DEVICE_BENCH_DIR:-$ROOT/.device-bench}
case $DIR in /*) ;; *) DIR=$ROOT/$DIR ;; esac

# name|flags: the quick selection, most wanted first. headline: what
# `npm run bench:node` runs with no flags (the notes' figures; small-work
# latency too). Then every op and fused row at 16M (the issue's size and
# softmax shapes), float32 then float16, and last every op at 1M.
PHASES=(
  'headline|--table'
  'f32-16M|--full --sizes 16M --dtypes float32 --latency 0'
  'f16-16M|--full --sizes 16M --dtypes float16 --latency 0'
  'full-1M|--full --sizes 1M --latency 0'
)
SWIFTSHADER_ICD=/usr/lib/chromium/vk_swiftshader_icd.json

usage() {
  echo "usage: bash scripts/device-bench.sh pack [--raw] | run [bench:node flags]" >&2
  exit 2
}

# ---- unpacking ----------------------------------------------------------------

# unpack NAME DEST: DIR/NAME.xz decompressed to DEST (kept while the .xz is
# unchanged), or DIR/NAME (a raw pack) linked there.
unpack() {
  local name=$1 dest=$2 src stamp
  mkdir -p "$(dirname "$dest")"
  if [ -f "$DIR/$name.xz" ]; then
    stamp=$(stat -c '%s %Y' "$DIR/$name.xz")
    if [ -f "$dest" ] && [ ! -L "$dest" ] && [ "$(cat "$dest.stamp" 2>/dev/null)" = "$stamp" ]; then
      return 0
    fi
    rm -f "$dest" "$dest.stamp"
    if command -v xz >/dev/null 2>&1; then
      xz -dc "$DIR/$name.xz" >"$dest.part" || return 1
    elif command -v python3 >/dev/null 2>&1; then
      python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as i, open(sys.argv[2], "wb") as o: shutil.copyfileobj(i, o, 1 << 20)' \
        "$DIR/$name.xz" "$dest.part" || return 1
    else
      echo "device-bench: neither xz nor python3 here to unpack $name.xz" >&2
      return 1
    fi
    chmod +x "$dest.part" && mv "$dest.part" "$dest" && echo "$stamp" >"$dest.stamp"
  elif [ -e "$DIR/$name" ]; then
    src=$(readlink -f "$DIR/$name")
    rm -f "$dest" "$dest.stamp"
    ln -s "$src" "$dest"
  else
    echo "device-bench: $DIR has no $name: run 'bash scripts/device-bench.sh pack' where Node is" >&2
    return 1
  fi
}

has_gpu_node() {
  [ -e /dev/nvidia0 ] && return 0
  ls /dev/dri/renderD* >/dev/null 2>&1
}

# ---- the run ------------------------------------------------------------------

run() {
  local out=${OUT:-$DIR/out}
  local work=${DEVICE_BENCH_WORK:-${TMPDIR:-/tmp}/webgpu-act-device-bench}
  local budget=${DEVICE_BENCH_BUDGET_S:-270}
  local start=$SECONDS
  mkdir -p "$out" "$work" || exit 1
  rm -f "$out"/node-*.json "$out/summary.md" "$out/log.txt" "$out/manifest.json"
  local log=$out/log.txt summary=$out/summary.md
  exec > >(tee -a "$log") 2>&1
  local tee_pid=$!

  echo "device-bench run: pack $DIR, work $work, out $out, budget ${budget} s"
  [ -f "$DIR/bench.mjs" ] || {
    echo "device-bench: no $DIR/bench.mjs: run 'bash scripts/device-bench.sh pack' where Node is"
    exit 1
  }
  cp "$DIR/bench.mjs" "$work/bench.mjs" || exit 1
  [ -f "$DIR/manifest.json" ] && cp "$DIR/manifest.json" "$out/manifest.json"
  unpack node "$work/node" || exit 1
  unpack dawn.node "$work/dist/linux-x64/dawn.node" || exit 1
  echo "device-bench: unpacked in $((SECONDS - start)) s"

  # The carried loader first; the NVIDIA driver's own folder where it is a mount of its own.
  local ld=$DIR/lib d
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && ld=$ld:$d; done
  export LD_LIBRARY_PATH=$ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if ! "$work/node" -e 0 2>/dev/null; then
    export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$DIR/lib-fallback
    "$work/node" -e 0 || {
      echo "device-bench: the carried Node does not start here"
      exit 1
    }
    echo "device-bench: using the carried libstdc++ (this machine's is too old for this Node)"
  fi
  [ -n "${XDG_RUNTIME_DIR:-}" ] || export XDG_RUNTIME_DIR=$(mktemp -d)

  # Which Vulkan driver.
  local real=0 driver
  if [ "${WEBGPU_ACT_REAL_GPU:-}" = 1 ] || { [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && has_gpu_node; }; then
    real=1
    if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] &&
      ! ls /etc/vulkan/icd.d/*nvidia* /usr/share/vulkan/icd.d/*nvidia* /usr/local/share/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
      for d in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
        if [ -f "$d" ]; then
          export VK_DRIVER_FILES=$d
          break
        fi
      done
    fi
    driver="the machine's own (VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}, VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset})"
  elif [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f "$SWIFTSHADER_ICD" ]; then
    export VK_ICD_FILENAMES=$SWIFTSHADER_ICD
    driver="SwiftShader (VK_ICD_FILENAMES=$VK_ICD_FILENAMES)"
  else
    driver="as set (VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}, VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset})"
  fi

  local gpu commit
  gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -3)
  commit=$(sed -n 's/.*"commit": "\([0-9a-f]*\)".*/\1/p' "$DIR/manifest.json" 2>/dev/null | cut -c1-12)
  {
    echo "# Device bench (bench:node under Dawn)"
    echo
    echo "- started: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n) ($(uname -srm))"
    echo "- GPU (nvidia-smi): ${gpu:-none seen}"
    echo "- Vulkan driver: $driver"
    echo "- pack: commit ${commit:-?}$(grep -q '"dirty": true' "$DIR/manifest.json" 2>/dev/null && echo ' with uncommitted changes'), Node $("$work/node" --version)"
  } >"$summary"
  echo "device-bench: Vulkan driver: $driver"
  ldconfig -p 2>/dev/null | grep -i vulkan
  ls /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null

  local phases=() p
  if [ $# -gt 0 ]; then
    phases=("custom|$*")
  else
    for p in "${PHASES[@]}"; do
      if [ -z "${DEVICE_BENCH_PHASES:-}" ] || [[ " $DEVICE_BENCH_PHASES " == *" ${p%%|*} "* ]]; then
        phases+=("$p")
      fi
    done
  fi

  local failed=0 name flags left rc t0 stdout stderr exitcode adapter
  [ ${#phases[@]} -gt 0 ] || {
    echo "device-bench: no phase named in DEVICE_BENCH_PHASES=${DEVICE_BENCH_PHASES:-}"
    failed=1
  }
  for p in ${phases[@]+"${phases[@]}"}; do
    name=${p%%|*}
    flags=${p#*|}
    left=$((budget - (SECONDS - start)))
    if [ "$left" -lt 20 ]; then
      echo "device-bench: phase $name skipped: ${left} s of the budget left"
      printf '\n## %s: skipped (%s s of the %s s budget left)\n' "$name" "$left" "$budget" >>"$summary"
      continue
    fi
    echo "device-bench: phase $name: $flags (up to ${left} s)"
    rm -rf "$work/results" "$work/exit-code"
    stdout=$work/$name.stdout
    stderr=$work/$name.stderr
    t0=$SECONDS
    # Progress (stderr) goes to the log as it comes; the tables (stdout) to the summary.
    # shellcheck disable=SC2086 # the flags are words
    local limit=()
    command -v timeout >/dev/null 2>&1 && limit=(timeout -k 5 "$left")
    WEBGPU_ACT_EXIT_FILE=$work/exit-code ${limit[@]+"${limit[@]}"} "$work/node" "$work/bench.mjs" $flags \
      2>&1 >"$stdout" | tee "$stderr"
    rc=${PIPESTATUS[0]}
    cat "$stdout"
    exitcode=$(cat "$work/exit-code" 2>/dev/null)
    if [ "$rc" != 0 ] && [ "$exitcode" = 0 ]; then
      echo "device-bench: phase $name ended with $rc during Dawn's teardown after finishing; kept"
      rc=0
    fi
    [ "$rc" = 124 ] && echo "device-bench: phase $name stopped at the budget"
    if [ -f "$work/results/node.json" ]; then
      cp "$work/results/node.json" "$out/node-$name.json"
    else
      [ "$rc" = 0 ] && rc=1
    fi
    printf '\n## %s: %s (exit %s, %s s)\n\n```\n' "$name" "$flags" "$rc" "$((SECONDS - t0))" >>"$summary"
    cat "$stdout" >>"$summary"
    echo '```' >>"$summary"
    adapter=$(grep -m1 '^adapter:' "$stdout")
    if [ "$real" = 1 ] && [ -n "$adapter" ] && grep -qiE 'swiftshader|llvmpipe|lavapipe|fallback: true' <<<"$adapter"; then
      echo "device-bench: NOT a GPU: $adapter"
      printf '\nNOT GPU FIGURES: a CPU adapter ran (%s)\n' "$adapter" >>"$summary"
      rc=3
    fi
    if [ "$rc" != 0 ]; then
      failed=1
      printf '\nWhat it printed on stderr last:\n\n```\n' >>"$summary"
      tail -n 20 "$stderr" >>"$summary"
      echo '```' >>"$summary"
      if grep -q 'no WebGPU adapter\|no suitable backends' "$stderr" 2>/dev/null; then
        echo "device-bench: no adapter; the adapters Dawn sees:"
        printf '\nNo adapter. What Dawn sees:\n\n```\n' >>"$summary"
        "$work/node" "$work/bench.mjs" --adapters 2>&1 | tee -a "$summary"
        echo '```' >>"$summary"
        break
      fi
    fi
  done
  printf '\nTotal: %s s; %s\n' "$((SECONDS - start))" "$([ $failed = 0 ] && echo ok || echo 'FAILED, see log.txt')" >>"$summary"
  echo "device-bench: done in $((SECONDS - start)) s; wrote $(cd "$out" && echo *)"
  # Let tee write the log's last lines before the caller collects the folder.
  exec >&- 2>&-
  wait "$tee_pid" 2>/dev/null
  exit $failed
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  pack)
    command -v node >/dev/null 2>&1 || {
      echo "device-bench: pack needs Node (run it where the repo was set up, not on the device)" >&2
      exit 1
    }
    exec node "$ROOT/scripts/device-bench/pack.mjs" --dir "$DIR" "$@"
    ;;
  run) run "$@" ;;
  *) usage ;;
esac
