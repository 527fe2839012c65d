#!/usr/bin/env bash
# RawHandshake front door. Run as root (with sudo where there is one):
#   ./run-as-root.sh            set up, then run the demo
#   ./run-as-root.sh test       set up, then run every test; ends with "N passed, N failed"
#   ./run-as-root.sh ARGS...    set up (once), then run `rawhandshake ARGS...`
# Setup installs what is missing with apt (libpcap0.8, nftables, tshark, tcpdump, ethtool, iproute2), restores and
# builds once (a stamp over the sources decides), so a later call needs no network and starts fast.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="$here/.build"
cli_dll="$build_dir/cli/rawhandshake.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=0

say() { printf '%s\n' "run-as-root.sh: $*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    say "this step must run as root (try: sudo $0 $*)"
    exit 2
  fi
}

install_packages() {
  local pkgs=(libpcap0.8 nftables tshark tcpdump ethtool iproute2 procps)
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
  (cd "$here" && find src tests Directory.Build.props RawHandshake.sln -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.sln' -o -name '*.json' -o -name '*.txt' -o -name '*.pcap*' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
}

build_cli() {
  local stamp; stamp="$(source_stamp)"
  if [ -f "$cli_dll" ] && [ "$(cat "$build_dir/cli.stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  check_dotnet
  say "building (once; rebuilt only when the sources change)"
  mkdir -p "$build_dir"
  if ! dotnet build "$here/src/RawHandshake.Cli/RawHandshake.Cli.csproj" -c Release -o "$build_dir/cli" -v q -nologo >"$build_dir/build.log" 2>&1; then
    grep -E "error|Error" "$build_dir/build.log" | sort -u | head -20 >&2 || true
    say "build failed (full log: $build_dir/build.log)"
    exit 2
  fi
  echo "$stamp" >"$build_dir/cli.stamp"
}

run_cli() { exec dotnet "$cli_dll" "$@"; }

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
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
}

demo() {
  local w; w="$(mktemp -d)"
  trap 'rm -rf "$w"' RETURN
  echo "== craft: the first SYN of seed 004 (192.168.0.101 -> 180.101.49.12:80), written to a pcap"
  dotnet "$cli_dll" craft --src-mac 10:63:c8:ff:ff:ff --dst-mac b0:95:8e:0b:15:38 --src 192.168.0.101 --dst 180.101.49.12 \
    --sport 59006 --dport 80 --flags S --seq 0x5c4e1a2b --win 64240 --mss 1460 --wscale 8 --sackok --ttl 64 --id 0x1d2f --df \
    -w "$w/syn.pcap"
  echo
  echo "== dissect: the same frame, read back from the pcap"
  dotnet "$cli_dll" dissect -r "$w/syn.pcap"
  echo
  echo "== craft: a deliberately wrong TCP checksum, dissected from hex"
  local hex
  hex=$(dotnet "$cli_dll" craft --src 198.18.0.1 --dst 198.18.2.10 --sport 40000 --dport 20000 --flags PA --seq 1 --ack 1 \
        --data 'AB' --tcp-checksum 0xdead --hex-only)
  dotnet "$cli_dll" dissect "$hex"
}

case "${1:-}" in
  test)
    install_packages
    run_tests
    ;;
  "")
    install_packages
    build_cli
    demo
    ;;
  *)
    # Packages are only checked when something is missing to build or run; a built tree needs no network.
    if [ ! -f "$cli_dll" ]; then install_packages; fi
    build_cli
    run_cli "$@"
    ;;
esac
