#!/usr/bin/env bash
# The dependency rule (docs/architecture.md): imports point to the same tier or lower, only
# LiveRuntime touches the C libraries, and tiers 0-1 stay free of Foundation, wall clocks,
# threads and ambient randomness. Exits 1 listing every violation.
set -euo pipefail
cd "$(dirname "$0")/.."

tier() {
  case "$1" in
    Wire|Platform|ConsulAPI|HTTP1|Metrics|WebUI) echo 0 ;;
    Raft|ConsulState|Gossip|DNS|Config) echo 1 ;;
    HTTPAPI|Server|Agent|ConsulClient) echo 2 ;;
    LiveRuntime|Simulation|ConsulCLI|consul|consul-sim|FuzzDriver|HTTP1Fuzz|GossipFuzz|DNSFuzz|raft-storage-crasher|raft-storage-bench) echo 3 ;;
    CLibUV|CSQLite|CLZ4|COpenSSL) echo c ;;
    *) echo "?" ;;
  esac
}

status=0
for dir in Sources/*/; do
  module=$(basename "$dir")
  t=$(tier "$module")
  if [ "$t" = "?" ]; then echo "lint-imports: $module has no tier; add it to scripts/lint-imports.sh"; status=1; continue; fi
  while IFS= read -r line; do
    file=${line%%:*}; rest=${line#*:}; lineno=${rest%%:*}; text=${rest#*:}
    imported=$(echo "$text" | sed -E 's/^[[:space:]]*(@[_A-Za-z]+[[:space:]]+)*import[[:space:]]+(class |struct |enum |func |protocol )?([A-Za-z0-9_]+).*/\3/')
    it=$(tier "$imported")
    case "$it" in
      "?") continue ;;   # system modules (Glibc, Testing, ...)
      c) if [ "$module" != "LiveRuntime" ]; then echo "$file:$lineno: $module imports $imported; only LiveRuntime may import CSystem"; status=1; fi ;;
      *) if [ "$it" -gt "$t" ]; then echo "$file:$lineno: $module (tier $t) imports $imported (tier $it)"; status=1; fi ;;
    esac
  done < <(grep -nE '^[[:space:]]*(@[_A-Za-z]+[[:space:]]+)*import[[:space:]]' -r "$dir" --include='*.swift' || true)

  # Tier 2 reaches the host only through Platform protocols, too.
  if [ "$t" = 2 ] && grep -nE 'import[[:space:]]+(Foundation|Glibc)\b' -r "$dir" --include='*.swift'; then
    echo "lint-imports: tier-2 module $module imports Foundation or Glibc (above); reach the host through a Platform protocol"
    status=1
  fi
  if [ "$t" = 0 ] || [ "$t" = 1 ]; then
    if grep -nE 'import[[:space:]]+(Foundation|Dispatch|Glibc)\b|\bDate\(|DispatchQueue|Thread\.|SystemRandomNumberGenerator|ContinuousClock|Task[[:space:]]*\{' -r "$dir" --include='*.swift'; then
      echo "lint-imports: tier-$t module $module uses I/O, threads, clocks or ambient randomness (above)"
      status=1
    fi
  fi
done
[ $status = 0 ] && echo "lint-imports: ok"
exit $status
