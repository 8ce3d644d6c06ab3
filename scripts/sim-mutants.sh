#!/usr/bin/env bash
# make sim-mutants: does the simulation catch the bugs it exists to catch? For each mutant — a
# one-line source change that plants a known bug — a copy of the tree is built with it and
# seeds run until the checkers report a failure: first MUTANT_SEEDS (default 500) runs of bare
# Raft nodes, then, if those all pass, MUTANT_SERVER_SEEDS (default 300) runs of the production
# server. Prints the seeds each mutant needed; exits 1 if any survives both budgets.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${MUTANT_SEEDS:-500}
server_budget=${MUTANT_SERVER_SEEDS:-300}
work=.build-mutants
mkdir -p "$work/src"
# A copy of the sources (its own .build is kept between runs, so rebuilds are incremental).
tar --exclude=./.build --exclude='./.build-*' --exclude=./.git -cf - . | tar -xf - -C "$work/src"

# name | file | exact text | replacement
mutants=(
  "commit with one vote less|Sources/Raft/Raft+Leader.swift|let candidate = matches[configuration.quorum - 1]|let candidate = matches[max(0, configuration.quorum - 2)]"
  "ack before persist|Sources/Server/RaftNode.swift|afterPersistQueue.append(rd.messagesAfterPersist)|for m in rd.messagesAfterPersist { transport.send(m) }; afterPersistQueue.append([])"
  "skip the ReadIndex heartbeat round|Sources/Raft/Raft+Leader.swift|if configuration.voters == [id] {|if true {"
  "apply before commit|Sources/Raft/RaftLog.swift|let upTo = min(commitIndex, stableIndex)|let upTo = max(commitIndex, stableIndex)"
  "forget lock-delay|Sources/ConsulState/SessionTable.swift|return now < until|return false"
  "ack a leader's snapshot before it is durable|Sources/Server/RaftNode.swift|if installing > 0 { writesAwaitingInstall.append(write) } else { write() }|write()"
)

survived=0
report=""
for m in "${mutants[@]}"; do
  IFS='|' read -r name file old new <<<"$m"
  cp "$work/src/$file" "$work/pristine"   # the copied tree's own file, restored below
  python3 - "$work/src/$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"mutation site not found exactly once in {path}: {old}")
open(path, "w").write(text.replace(old, new))
PY
  echo "== mutant: $name ($file)"
  (cd "$work/src" && swift build -c release --product consul-sim >/dev/null)
  sim="$work/src/.build/release/consul-sim"
  out=$("$sim" --seeds "$budget" --start 1 2>&1 || true)
  first=$(echo "$out" | grep -m1 -oE '^seed [0-9]+' | awk '{print $2}' || true)
  where="bare Raft, of $budget"
  if [ -z "$first" ]; then
    out=$("$sim" --servers --seeds "$server_budget" --start 1 2>&1 || true)
    first=$(echo "$out" | grep -m1 -oE '^seed [0-9]+' | awk '{print $2}' || true)
    where="production server, of $server_budget, after $budget bare Raft seeds passed"
  fi
  if [ -n "$first" ]; then
    line="caught: $name — first failing seed $first ($where): $(echo "$out" | grep -m1 '^seed ')"
  else
    line="SURVIVED: $name — $budget bare Raft and $server_budget server seeds passed"
    survived=1
  fi
  echo "$line"
  report+="$line"$'\n'
  cp "$work/pristine" "$work/src/$file"   # restore
done
echo
echo "$report"
exit $survived
