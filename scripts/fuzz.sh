#!/usr/bin/env bash
# Fuzzes with libFuzzer for SECONDS seconds per target (default 60):
#   http1  — the HTTP/1.1 request parser (Sources/HTTP1Fuzz/main.swift)
#   gossip — the memberlist/serf wire codec (Sources/GossipFuzz/main.swift)
#   dns    — the DNS message parser/writer and the Consul DNS responder (Sources/DNSFuzz/main.swift)
# With no target, runs http1, gossip then dns, SECONDS each. Each harness is built with
# -sanitize=fuzzer into .build-fuzz; seeds (valid and invalid inputs) are written into
# fuzz-corpus/<target> (the fuzzer adds the inputs it finds interesting there). A crash or broken
# invariant saves the input under fuzz-corpus/<target>-crashes/ and makes this script exit non-zero.
#
# Usage: scripts/fuzz.sh [SECONDS] [http1|gossip|dns]     (make fuzz FUZZ_SECONDS=N FUZZ_TARGET=dns)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-60}
TARGET=${2:-all}
usage() { echo "usage: $0 [SECONDS] [http1|gossip|dns]" >&2; exit 2; }
[[ $SECONDS_TO_RUN =~ ^[1-9][0-9]*$ ]] || usage
case $TARGET in all|http1|gossip|dns) ;; *) usage ;; esac

# -DFUZZING selects the harness's libFuzzer driver; `Extern` enables the @_extern(c) declaration
# of LLVMFuzzerRunDriver it calls. Own scratch path so the normal .build is untouched.
# build PRODUCT → builds the harness and sets FUZZER to its path.
build() {
  local cmd=(swift build -c release --product "$1" --scratch-path .build-fuzz
             -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
             -Xswiftc -enable-experimental-feature -Xswiftc Extern)
  "${cmd[@]}"
  FUZZER=$("${cmd[@]}" --show-bin-path)/$1
}

seed_http1() {
  # Seeds: one control byte (where the harness splits the rest, in 255ths of its length; varied
  # from seed to seed) followed by the request bytes. printf %b turns \r\n into bytes, leaves % alone.
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
}

# Seeds for the gossip codec: the worked examples of gossip-wire.md §11 and wrapped forms
# (UDP datagrams, TCP stream messages and serf messages all go through every decoder).
seed_gossip() {
  hexseed() { printf '%b' "$(printf %s "$2" | sed 's/../\\x&/g')" >"$CORPUS/seed-$1"; }
  hexseed alive      0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a26e39a4506f7274cd611ba356736ea6010502020505
  hexseed ping       0085a44e6f6465a57365726643a55365714e6f01aa536f7572636541646472a47f000001aa536f757263654e6f6465a26e39aa536f75726365506f7274cd611b
  hexseed ack-coord  0282a75061796c6f6164da00820184aa41646a7573746d656e74cb0000000000000000a54572726f72cb3ff8000000000000a6486569676874cb3ee4f8b588e368f1a356656398cb0000000000000000cb0000000000000000cb0000000000000000cb0000000000000000cb0000000000000000cb0000000000000000cb0000000000000000cb0000000000000000a55365714e6f01
  hexseed ack-nil    0282a75061796c6f6164c0a55365714e6f0b
  hexseed push-pull  0683a44a6f696ec3a54e6f64657301ac5573657253746174654c656e4c87a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e616d65a26e39a4506f7274cd611ba5537461746500a356736ea60105020205050286aa4576656e744c54696d6501a64576656e747394c0c0c0c0a54c54696d6501ab4c6566744d656d6265727390aa51756572794c54696d6501ac5374617475734c54696d657381a26e3901
  hexseed dead       0583a446726f6da566616b6532ab496e6361726e6174696f6e01a44e6f6465a566616b6532
  hexseed indirect   0188a44e61636bc3a44e6f6465a4696e6442a4506f7274cd610ea55365714e6fcd03e9aa536f7572636541646472a47f000001aa536f757263654e6f6465a4696e6441aa536f75726365506f7274cd610da6546172676574a47f000001
  hexseed relay      0982a8446573744164647283a24950a47f000001a4506f7274cd60eaa45a6f6e65a0a8446573744e616d65a566616b65310585a5466c61677301a446726f6da566616b6532a2494409a54c54696d6503a75061796c6f6164a0
  hexseed lzw-tiny   0982a4416c676f00a3427566a400050404
  hexseed ack-tcp-z  0982a4416c676f00a3427566b70005083a05254c1e366fc29001566a4a99384ede0c0808
  hexseed compound   0703003b003c00120085a44e6f6465a162a55365714e6f05aa536f7572636541646472a40a000001aa536f757263654e6f6465a161aa536f75726365506f7274cd206d0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a26e39a4506f7274cd611ba356736ea6010502020505080182a54c54696d6505a44e6f6465a26e39
  hexseed crc-cmpd   0cad1d4bdd0703003b003c00120085a44e6f6465a162a55365714e6f05aa536f7572636541646472a40a000001aa536f757263654e6f6465a161aa536f75726365506f7274cd206d0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a26e39a4506f7274cd611ba356736ea6010502020505080182a54c54696d6505a44e6f6465a26e39
  hexseed user-tcp   0881aa557365724d73674c656e110182a54c54696d6505a44e6f6465a26e39
  hexseed query      048ba441646472a47f000001a746696c7465727391a40091a161a5466c61677301a2494402a54c54696d6501a44e616d65aa5f736572665f70696e67a75061796c6f6164a0a4506f7274cd1f0aab52656c6179466163746f7200aa536f757263654e6f6465a161a754696d656f7574cf000000012a05f200
  hexseed serf-pp    0286aa4576656e744c54696d6503a64576656e747392c082a64576656e74739182a44e616d65a165a75061796c6f6164a101a54c54696d6501a54c54696d6502ab4c6566744d656d6265727391a162aa51756572794c54696d6501ac5374617475734c54696d657381a16101
  hexseed err        0d81a54572726f72a3626164
  hexseed tags       ff82a26463a164a4726f6c65a178
  hexseed serf-event 0384a24343c2a54c54696d6501a44e616d65a165a75061796c6f6164a170
}

# Seeds for the DNS harness: queries of every form the responder answers (as dig sends them,
# some with EDNS0), a response with compression pointers, and malformed packets.
seed_dns() {
  hexseed() { printf '%b' "$(printf %s "$2" | sed 's/../\\x&/g')" >"$CORPUS/seed-$1"; }
  # q NAME TYPE [EDNS-SIZE]: a query with RD set, ID 0x1234, written from the labels of NAME.
  q() {
    local hex="123401000001000000000000" ar=0 label
    IFS=. read -ra labels <<<"$2"
    for label in "${labels[@]}"; do
      [ -n "$label" ] && hex+=$(printf %02x "${#label}")$(printf %s "$label" | od -An -tx1 | tr -d ' \n')
    done
    hex+=00$(printf %04x "$3")0001
    if [ -n "${4:-}" ]; then hex+=000029$(printf %04x "$4")000000000000; ar=1; fi
    hex=${hex:0:20}$(printf %04x $ar)${hex:24}
    hexseed "$1" "$hex"
  }
  q a-service        web.service.consul 1
  q srv-service      web.service.consul 33
  q srv-rfc2782      _web._tcp.service.dc1.consul 33 4096
  q a-tag            v1.web.service.consul 1
  q aaaa-service     web.service.consul 28
  q any-service      ext.service.consul 255
  q txt-node         n1.node.consul 16
  q a-node-dc        n1.node.dc1.dc.consul 1
  q a-addr           c0a80109.addr.dc1.consul 1
  q aaaa-addr        fd000000000000000000000000000002.addr.consul 28
  q ptr-v4           1.0.0.10.in-addr.arpa 12
  q ns-domain        consul 2
  q soa-alt          alt.example 6
  q srv-big          big.service.consul 33
  q srv-big-edns     big.service.alt.example 33 1232
  q a-big-edns       big.service.consul 1 65000
  q refused          www.example.com 1
  q axfr             consul 252
  hexseed response   12348180000100010000000003776562077365727669636506636f6e73756c0000010001c00c000100010000000000040a000001
  hexseed pointer-loop 123401000001000000000000c00c00010001
  hexseed bad-label  1234010000010000000000008000010001
  hexseed short      1234010000010000
  hexseed two-opt    123401000001000000000002000001000100002910000000000000000000291000000000000000
}

# run NAME PRODUCT SEEDFN: builds, seeds and fuzzes one target.
run() {
  local name=$1 product=$2 seeds=$3
  CORPUS=fuzz-corpus/$name
  CRASHES=fuzz-corpus/$name-crashes
  build "$product"
  mkdir -p "$CORPUS" "$CRASHES"
  "$seeds"
  # The Swift runtime's backtracer would take SIGILL (a failed check) before libFuzzer could save
  # the input; libFuzzer never replaces a handler that is already installed.
  status=0
  SWIFT_BACKTRACE=enable=no "$FUZZER" "$CORPUS" \
    -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$CRASHES/" -print_final_stats=1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED (exit $status); the input is saved under $CRASHES/ (see 'Test unit written to' above)." >&2
    echo "fuzz: replay it with a plain build: swift build --product $product && .build/debug/$product $CRASHES/crash-..." >&2
    exit "$status"
  fi
  echo "fuzz: no crash in ${SECONDS_TO_RUN}s; corpus: $(find "$CORPUS" -type f | wc -l) inputs in $CORPUS"
}

[[ $TARGET == all || $TARGET == http1 ]] && run http1 HTTP1Fuzz seed_http1
[[ $TARGET == all || $TARGET == gossip ]] && run gossip GossipFuzz seed_gossip
[[ $TARGET == all || $TARGET == dns ]] && run dns DNSFuzz seed_dns
exit 0
