#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# replay_dsn.sh CROWDWALL PLUGIN_DIR
# `crowdwall replay --dsn file://LOG` (through the file plugin) gives exactly the alerts and
# counters of `crowdwall replay --file LOG` on a real sshd log; DSN errors are reported.
set -eu
cw=$1
plugins=$2
log="$(cd "$(dirname "$0")/../.." && pwd)/../shared/corpus/real-logs/openssh-labsz-2k.log"
if [ ! -r "$log" ]; then
  echo "skipped: $log missing (needs ../shared beside the repository)"
  exit 77
fi
tmp=$(mktemp -d /tmp/cw-dsn-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$cw" replay --file "$log" --type syslog -o json > "$tmp/file.json"
"$cw" replay --dsn "file://$log" --plugin-dir "$plugins" --type syslog -o json > "$tmp/dsn.json"
cmp "$tmp/file.json" "$tmp/dsn.json"
"$cw" replay --dsn "file://$log" --plugin-dir "$plugins" --type syslog > "$tmp/dsn.txt"
tail -n 1 "$tmp/dsn.txt" > "$tmp/summary"
echo "2000 lines read, 1674 parsed (0 whitelisted), 326 unparsed, 0 too long, 0 empty, 53 alerts" \
  | diff -u - "$tmp/summary"

if "$cw" replay --dsn "file://$tmp/none*.log" --plugin-dir "$plugins" --type syslog \
     2> "$tmp/err"; then
  echo "replay_dsn: an unmatched glob was accepted" >&2
  exit 1
fi
echo "crowdwall: dsn file://$tmp/none*.log: file: no file matches $tmp/none*.log" \
  | diff -u - "$tmp/err"
if "$cw" replay --dsn "file://$log" --file "$log" --type syslog 2> "$tmp/err"; then
  exit 1
fi
head -n 1 "$tmp/err" | grep -qx "crowdwall replay: --file and --dsn exclude each other"
echo "replay_dsn: --dsn file:// matches --file (53 alerts)"
