#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet (apt-get only when
# something is missing; through sudo unless root). Every make target that needs packages uses it.
set -e
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
# shellcheck disable=SC2086
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
