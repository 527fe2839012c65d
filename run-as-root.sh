#!/usr/bin/env bash
# RawHandshake front door. Run as root (with sudo where there is one):
#   ./run-as-root.sh            set up, then the demo: a lab of namespaces with real servers, a handshake by hand, lab down
#   ./run-as-root.sh test       set up, then run every test; ends with "N passed, N failed"
#   ./run-as-root.sh run recipes/NAME.rh [--target IP:PORT | --netns NS | --lab NAME]   run recipes: in the built-in lab
#                               when they aim at its server, else (or with --target/--netns) in the current namespace
#   ./run-as-root.sh ARGS...    set up (once), then run `rawhandshake ARGS...`
# Setup installs what is missing with apt (libpcap0.8, nftables, tshark, tcpdump, ethtool, iproute2, slirp4netns, clang and
# zlib1g-dev for the ahead-of-time build, gcc, libpcap-dev and hping3 for the benches), restores and publishes the CLI once
# as a native ahead-of-time binary (a stamp over the sources decides), so a later call needs no network and starts fast.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="$here/.build"
# The CLI: the native binary published here, or one named by RAWHANDSHAKE_CLI; RAWHANDSHAKE_CLI_DLL runs a build's
# rawhandshake.dll through dotnet instead (tests point these at what they run).
cli_bin="${RAWHANDSHAKE_CLI:-$build_dir/cli/rawhandshake}"
if [ -n "${RAWHANDSHAKE_CLI:-}" ] || [ -z "${RAWHANDSHAKE_CLI_DLL:-}" ]; then
  cli=("$cli_bin")
else
  cli=(dotnet "$RAWHANDSHAKE_CLI_DLL")
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=0

say() { printf '%s\n' "run-as-root.sh: $*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    say "this step must run as root (try: sudo $0 $*)"
    exit 2
  fi
}

install_packages() {
  local pkgs=(libpcap0.8 nftables tshark tcpdump ethtool iproute2 procps slirp4netns chromium clang zlib1g-dev gcc libpcap-dev hping3)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root install
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture: answer no, without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    say "the .NET 10 SDK (dotnet) is not installed; install it, then run this again"
    exit 2
  fi
}

source_stamp() {
  (cd "$here" && find src Directory.Build.props -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
}

build_cli() {
  [ "${cli[0]}" = "$cli_bin" ] && [ "$cli_bin" = "$build_dir/cli/rawhandshake" ] || return 0 # someone else's build
  local stamp; stamp="$(source_stamp)"
  if [ -x "$cli_bin" ] && [ "$(cat "$build_dir/cli.stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  check_dotnet
  say "publishing the CLI ahead-of-time (once, a few minutes; again only when the sources change)"
  mkdir -p "$build_dir"
  if ! dotnet publish "$here/src/RawHandshake.Cli/RawHandshake.Cli.csproj" -c Release -r linux-x64 -p:UseAppHost=true \
      -o "$build_dir/cli" -v q -nologo >"$build_dir/build.log" 2>&1; then
    grep -E "error|Error" "$build_dir/build.log" | sort -u | head -20 >&2 || true
    say "build failed (full log: $build_dir/build.log)"
    exit 2
  fi
  echo "$stamp" >"$build_dir/cli.stamp"
}

run_cli() { exec "${cli[@]}" "$@"; }

run_tests() {
  check_dotnet
  local log="$build_dir/test.log" rc=0
  mkdir -p "$build_dir"
  say "running all tests (unit, property, fixture, tshark cross-checks, end-to-end in private network namespaces)"
  set +e
  dotnet test "$here/RawHandshake.sln" -c Release -nologo 2>&1 | tee "$log" | grep -vE "^\s*$|^\s+(Determining|Restored|All projects)|warn : "
  rc=${PIPESTATUS[0]}
  set -e
  local summary passed failed skipped
  summary=$(grep -E "^(Passed|Failed)!" "$log" || true)
  passed=$(sed -nE 's/.*Passed: *([0-9]+).*/\1/p' <<<"$summary" | awk '{s+=$1} END {print s+0}')
  failed=$(sed -nE 's/.*Failed: *([0-9]+),.*/\1/p' <<<"$summary" | awk '{s+=$1} END {print s+0}')
  skipped=$(sed -nE 's/.*Skipped: *([0-9]+).*/\1/p' <<<"$summary" | awk '{s+=$1} END {print s+0}')
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # the build or a test host failed: count it, never report green
    say "dotnet test exited $rc without a failing test (a build error?): see $log"
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  summary_printed=yes
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
}

demo() {
  # The main job against the built-in default target: a lab of namespaces (client, router, real Linux servers), one
  # whole TCP session by hand with its trace and ladder, the seed articles' scenarios as recipes with a pass/fail table,
  # then the lab goes away, whatever happens.
  local lab="${RAWHANDSHAKE_DEMO_LAB:-demo}" rc=0
  local down='"${cli[@]}" lab down --name '"$lab"' >/dev/null 2>&1 || true'
  trap "$down" EXIT
  trap "$down; exit 130" INT
  trap "$down; exit 143" TERM
  "${cli[@]}" lab up --name "$lab"
  echo
  echo "== handshake: SYN, SYN-ACK, ACK; push \"AB\"; the server echoes it; active close (FIN-WAIT-1/2, TIME-WAIT)"
  "${cli[@]}" handshake --netns "rh-$lab-cli" --target 198.18.2.10:20000 --data AB --expect-echo --ladder || rc=$?
  echo
  echo "== the seed articles as recipes (recipes/README.md)"
  "${cli[@]}" run --netns "rh-$lab-cli" "$here"/recipes/seed-*.rh || rc=$?
  echo
  "${cli[@]}" lab down --name "$lab"
  trap - EXIT INT TERM
  return $rc
}

run_recipes() {
  # ./run-as-root.sh run recipes/NAME [--target IP:PORT] [--netns NS] [--lab NAME]: a recipe aimed at the lab's server
  # runs in the built-in lab "lab" (brought up if it is not; `lab down` ends it), or in lab NAME with --lab. With
  # --target, --netns, or a recipe aimed at any other server, it runs here, in the current namespace.
  local use_lab=yes a
  for a in "$@"; do
    case "$a" in
      --netns|--netns=*|--lab|--lab=*|--target|--target=*|-t|--check|--help|--version) use_lab=no ;;
    esac
  done
  if [ "$use_lab" = yes ]; then
    exec "${cli[@]}" run --lab lab "$@"
  fi
  exec "${cli[@]}" run "$@"
}

case "${1:-}" in
  test)
    # The summary line comes last whatever happens, also when setup fails before a test could run.
    trap 'rc=$?; [ "$rc" -ne 0 ] && [ "${summary_printed:-no}" = no ] && echo "0 passed, 1 failed, 0 skipped"; exit $rc' EXIT
    install_packages
    build_cli
    # The end-to-end tests run the published binary (without this they run their own build through dotnet).
    export RAWHANDSHAKE_CLI="$cli_bin"
    run_tests
    ;;
  "")
    install_packages
    build_cli
    demo
    ;;
  run)
    if [ ! -x "$cli_bin" ]; then install_packages; fi
    build_cli
    shift
    run_recipes "$@"
    ;;
  *)
    # Packages are only checked when something is missing to build or run; a built tree needs no network.
    if [ ! -x "$cli_bin" ]; then install_packages; fi
    build_cli
    run_cli "$@"
    ;;
esac
