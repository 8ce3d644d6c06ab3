#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request parser with libFuzzer for SECONDS seconds (default 60).
# Builds the HTTP1Fuzz harness (Sources/HTTP1Fuzz/main.swift) with -sanitize=fuzzer into
# .build-fuzz, writes a few valid and invalid requests as seeds into fuzz-corpus/http1 (the
# fuzzer adds the inputs it finds interesting there), and runs. A crash or broken invariant
# saves the input under fuzz-corpus/http1-crashes/ and makes this script exit non-zero.
#
# Usage: scripts/fuzz.sh [SECONDS]        (make fuzz FUZZ_SECONDS=N)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-60}
[[ $SECONDS_TO_RUN =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
CORPUS=fuzz-corpus/http1
CRASHES=fuzz-corpus/http1-crashes

# -DFUZZING selects the harness's libFuzzer driver; `Extern` enables the @_extern(c) declaration
# of LLVMFuzzerRunDriver it calls. Own scratch path so the normal .build is untouched.
BUILD=(swift build -c release --product HTTP1Fuzz --scratch-path .build-fuzz
       -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
       -Xswiftc -enable-experimental-feature -Xswiftc Extern)
"${BUILD[@]}"
FUZZER=$("${BUILD[@]}" --show-bin-path)/HTTP1Fuzz

# Seeds: one control byte (where the harness splits the rest, in 255ths of its length; varied
# from seed to seed) followed by the request bytes. printf %b turns \r\n into bytes, leaves % alone.
mkdir -p "$CORPUS" "$CRASHES"
split=1
seed() {
  printf '%b' "\\x$(printf %02x "$split")$2" >"$CORPUS/seed-$1"
  split=$(( (split + 37) % 255 + 1 ))
}
seed get            'GET /v1/kv/k HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: seed\r\n\r\n'
seed get-query      'GET /v1/kv/a%2Fb?recurse&index=7&tag=x+y HTTP/1.1\r\nHost: h\r\n\r\n'
seed put-length     'PUT /v1/kv/k?flags=3 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nvalue'
seed put-chunked    'PUT /v1/kv/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'
seed expect         'PUT /v1/kv/k HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc'
seed pipelined      'GET /v1/status/leader HTTP/1.1\r\n\r\nDELETE /v1/kv/k HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /v1/kv/k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
seed bare-lf        'GET / HTTP/1.1\nHost: h\nConnection: close\n\n'
seed leading-crlf   '\r\nOPTIONS * HTTP/1.1\r\n\r\n'
seed bad-version    'GET / HTTP/2.0\r\n\r\n'
seed bad-line       'GET  / HTTP/1.1\r\n\r\n'
seed obs-fold       'GET / HTTP/1.1\r\nX: a\r\n  b\r\n\r\n'
seed cl-and-te      'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
seed two-lengths    'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'
seed gzip-te        'POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
seed bad-chunk      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'
seed body-too-large 'PUT /v1/kv/k HTTP/1.1\r\nContent-Length: 99999\r\n\r\n'
seed bad-percent    'GET /v1/kv/%zz HTTP/1.1\r\n\r\n'
seed bad-target     'GET v1/kv/k HTTP/1.1\r\n\r\n'

# The Swift runtime's backtracer would take SIGILL (a failed check) before libFuzzer could save
# the input; libFuzzer never replaces a handler that is already installed.
status=0
SWIFT_BACKTRACE=enable=no "$FUZZER" "$CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$CRASHES/" -print_final_stats=1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); the input is saved under $CRASHES/ (see 'Test unit written to' above)." >&2
  echo "fuzz: replay it with a plain build: swift build --product HTTP1Fuzz && .build/debug/HTTP1Fuzz $CRASHES/crash-..." >&2
  exit "$status"
fi
echo "fuzz: no crash in ${SECONDS_TO_RUN}s; corpus: $(find "$CORPUS" -type f | wc -l) inputs in $CORPUS"
