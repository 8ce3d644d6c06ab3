#!/usr/bin/env bash
# Builds the Debian package of the consul binary: OUTDIR/consul_<version>_<arch>.deb.
#
#   scripts/build-deb.sh BINARY OUTDIR
#
# Everything but the binary comes from packaging/ (see packaging/debian/README.Debian for the
# choices: permissions, what remove and purge keep). The version is the binary's own
# (`consul version`: "Consul v1.20.0" -> 1.20.0) with the Debian revision of the newest entry
# of packaging/debian/changelog, which must be for that upstream version. Depends is what
# dpkg-shlibdeps finds for the binary, plus adduser for the postinst. The binary is installed
# stripped and must have no RPATH/RUNPATH. Older consul_*_<arch>.deb files in OUTDIR are
# removed so that OUTDIR holds one package.
#
# Needs dpkg-dev (dpkg-shlibdeps, dpkg-parsechangelog), binutils (strip, readelf) and the
# runtime libraries the binary links (`make deps` installs them); `make deb` installs the rest.
set -euo pipefail

usage() { echo "usage: $0 BINARY OUTDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
BINARY=$1
OUTDIR=$2
fail() { echo "build-deb: $*" >&2; exit 1; }

[ -x "$BINARY" ] || fail "$BINARY is not an executable"
for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog strip readelf gzip md5sum; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install dpkg-dev binutils)"
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
PKG=$REPO/packaging
ARCH=$(dpkg --print-architecture)

# ---- version: the binary's, with the changelog's Debian revision ----
# (The whole output, then its first line: `| head -n 1` could SIGPIPE the binary under pipefail.)
first_line=$("$BINARY" version)
first_line=${first_line%%$'\n'*}
[[ $first_line =~ ^Consul\ v([0-9][0-9A-Za-z.+~-]*)$ ]] ||
  fail "cannot read the version from '$BINARY version' (first line: '$first_line')"
# A pre-release suffix (1.21.0-dev) sorts before the release in Debian as 1.21.0~dev.
UPSTREAM=${BASH_REMATCH[1]//-/\~}
CHANGELOG_VERSION=$(dpkg-parsechangelog -l "$PKG/debian/changelog" -S Version)
[ "${CHANGELOG_VERSION%-*}" = "$UPSTREAM" ] ||
  fail "the binary is version $UPSTREAM but the newest entry of packaging/debian/changelog is" \
       "$CHANGELOG_VERSION; add an entry for $UPSTREAM-1 (dch -c packaging/debian/changelog -v $UPSTREAM-1)"
VERSION=$CHANGELOG_VERSION
# Reproducible: every timestamp is the changelog entry's date.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$PKG/debian/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH

# ---- the binary: no RPATH, every library from a Debian package ----
if readelf -d "$BINARY" | grep -Eq '\((RPATH|RUNPATH)\)'; then
  readelf -d "$BINARY" | grep -E '\((RPATH|RUNPATH)\)' >&2
  fail "$BINARY has an RPATH/RUNPATH; link it without one"
fi

umask 022
TMP=$(mktemp -d "${TMPDIR:-/tmp}/consul-deb.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ROOT=$TMP/root

install -d "$ROOT/DEBIAN" "$ROOT/usr/bin" "$ROOT/etc/consul.d" "$ROOT/lib/systemd/system" \
  "$ROOT/usr/share/doc/consul" "$ROOT/usr/share/man/man1" "$ROOT/usr/share/bash-completion/completions" \
  "$ROOT/usr/share/lintian/overrides"

install -m 0755 "$BINARY" "$ROOT/usr/bin/consul"
# As dh_strip does for executables, plus the local symbols nothing links against.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$ROOT/usr/bin/consul"
stripped_version=$("$ROOT/usr/bin/consul" version) || fail "the stripped binary does not run"
[ "${stripped_version%%$'\n'*}" = "$first_line" ] || fail "the stripped binary does not run"

install -m 0644 "$PKG/consul.hcl" "$ROOT/etc/consul.d/consul.hcl"
install -m 0644 "$PKG/consul.env" "$ROOT/etc/consul.d/consul.env"
install -m 0644 "$PKG/consul.service" "$ROOT/lib/systemd/system/consul.service"
install -m 0644 "$PKG/consul.bash-completion" "$ROOT/usr/share/bash-completion/completions/consul"
install -m 0644 "$PKG/debian/copyright" "$ROOT/usr/share/doc/consul/copyright"
install -m 0644 "$PKG/debian/README.Debian" "$ROOT/usr/share/doc/consul/README.Debian"
install -m 0644 "$PKG/debian/lintian-overrides" "$ROOT/usr/share/lintian/overrides/consul"
gzip -9n < "$PKG/debian/changelog" > "$ROOT/usr/share/doc/consul/changelog.Debian.gz"
# The man page's header names the packaged version.
sed "1s/\"consul [^\"]*\"/\"consul $UPSTREAM\"/" "$PKG/consul.1" | gzip -9n > "$ROOT/usr/share/man/man1/consul.1.gz"
chmod 0644 "$ROOT/usr/share/doc/consul/changelog.Debian.gz" "$ROOT/usr/share/man/man1/consul.1.gz"

install -m 0644 "$PKG/debian/conffiles" "$ROOT/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "$PKG/debian/$script" "$ROOT/DEBIAN/$script"
done
while read -r conffile; do
  [ -f "$ROOT$conffile" ] || fail "conffile $conffile is not in the package"
done < "$ROOT/DEBIAN/conffiles"

# ---- Depends: dpkg-shlibdeps (it wants a debian/control to exist) ----
mkdir -p "$TMP/shlibs/debian"
printf 'Source: consul\n\nPackage: consul\nArchitecture: any\n' > "$TMP/shlibs/debian/control"
shlibs=$(cd "$TMP/shlibs" && dpkg-shlibdeps -O -e"$ROOT/usr/bin/consul")
[[ $shlibs =~ ^shlibs:Depends=(.+)$ ]] || fail "unexpected dpkg-shlibdeps output: $shlibs"
DEPENDS="adduser, ${BASH_REMATCH[1]}"

# ---- control: Installed-Size in KiB as dpkg-gencontrol counts it (files rounded up to
#      1 KiB, 1 for each directory or link) ----
INSTALLED_SIZE=$(cd "$ROOT" && find . -path ./DEBIAN -prune -o ! -path . -printf '%y %s\n' |
  awk '$1 == "f" { kib += int(($2 + 1023) / 1024); next } { kib += 1 } END { print kib }')
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$DEPENDS/" \
    -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" "$PKG/debian/control" > "$ROOT/DEBIAN/control"
! grep -q '@[A-Z_]*@' "$ROOT/DEBIAN/control" || fail "unfilled field in packaging/debian/control"

# md5sums of every file but the conffiles (dpkg keeps theirs itself), as dh_md5sums does.
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort |
  grep -vxF -f <(sed 's|^/||' DEBIAN/conffiles) | xargs -d '\n' md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"

find "$ROOT" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$OUTDIR"
find "$OUTDIR" -maxdepth 1 -name "consul_*_$ARCH.deb" -delete
DEB=$OUTDIR/consul_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "build-deb: $DEB ($(du -h "$DEB" | cut -f1), Installed-Size $INSTALLED_SIZE KiB)"
echo "build-deb: Depends: $DEPENDS"
