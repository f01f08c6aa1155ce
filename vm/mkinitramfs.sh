#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's root file system and pack it as a gzip'd newc cpio.
# Usage: mkinitramfs.sh ROOTDIR OUTPUT_CPIO_GZ SELFTEST_OUTPUT_DIR
#
# The root holds a static busybox, /init (vm/init) and every executable
# regular file found directly in SELFTEST_OUTPUT_DIR, installed into
# /usr/bin.  The busybox applet links are created by /init at boot.
set -eu

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

[ $# -eq 3 ] || die "usage: $0 ROOTDIR OUTPUT_CPIO_GZ SELFTEST_OUTPUT_DIR"
root=$1
out=$2
stdir=$3
vmdir=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox

case "$root" in
''|/|/.|/..) die "refusing to use '$root' as ROOTDIR" ;;
esac
[ -d "$stdir" ] || die "no selftest directory $stdir"
[ -x "$busybox" ] || die "$busybox missing (install busybox-static)"

# A dynamically linked binary would fail in the guest with a confusing
# "not found"; catch it here.
is_static() {
	if command -v readelf >/dev/null &&
	   readelf -lW "$1" 2>/dev/null | grep -q 'program interpreter'; then
		return 1
	fi
	return 0
}
is_static "$busybox" ||
	die "$busybox is dynamically linked (install busybox-static)"

rm -rf "$root"
mkdir -p "$root"
(
	cd "$root"
	mkdir -p bin sbin usr/bin usr/sbin dev proc sys tmp mnt etc root
	chmod 1777 tmp
)
cp "$busybox" "$root/bin/busybox"
cp "$vmdir/init" "$root/init"
chmod 755 "$root/bin/busybox" "$root/init"

# Lets the kernel open an initial console before /init mounts devtmpfs
# (/init redirects to /dev/console itself when this node is absent).
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 600 "$root/dev/console" c 5 1
fi

n=0
for f in "$stdir"/*; do
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then
		continue
	fi
	is_static "$f" ||
		die "$f is dynamically linked (build the selftests with -static)"
	install -m 755 "$f" "$root/usr/bin/"
	n=$((n + 1))
done

# Fixed timestamps and ownership make the archive reproducible.
find "$root" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
(
	cd "$root"
	find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet
) | gzip -1 -n > "$tmp"

# Leave the output untouched (and its mtime) when nothing changed.
if [ -f "$out" ] && cmp -s "$tmp" "$out"; then
	rm -f "$tmp"
else
	chmod 644 "$tmp"
	mv -f "$tmp" "$out"
fi
trap - EXIT
echo "Initramfs: $out ($n selftest binaries, $(du -k "$out" | cut -f1) KiB)"
