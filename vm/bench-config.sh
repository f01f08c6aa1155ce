#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Config fragments of the benchmark kernel.
# Usage: bench-config.sh merge OUTPUT FRAGMENT...
#        bench-config.sh verify FRAGMENT DOTCONFIG
#
# merge:  concatenate the fragments so that each option is set once, by the
#         last fragment that names it ("CONFIG_X=..." or "# CONFIG_X is not
#         set"); vm/bench.config thereby turns off what the selftests'
#         fragment asks for but the benchmark must not have.
# verify: every "CONFIG_X=..." of FRAGMENT is in DOTCONFIG (vm/checkconfig.sh)
#         and every "# CONFIG_X is not set" is neither =y nor =m there.
set -eu

die() {
	echo "bench-config: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: $0 merge OUTPUT FRAGMENT... | verify FRAGMENT DOTCONFIG"
cmd=$1
shift
case "$cmd" in
merge)
	[ $# -ge 2 ] || die "usage: $0 merge OUTPUT FRAGMENT..."
	out=$1
	shift
	for f in "$@"; do
		[ -r "$f" ] || die "no config fragment $f"
	done
	# The last line setting each option wins; comments and blank lines
	# go.  The output is sorted by option name.
	awk '
	function opt(line) {
		if (match(line, /^CONFIG_[A-Za-z0-9_]+=/))
			return substr(line, 1, RLENGTH - 1)
		if (match(line, /^# CONFIG_[A-Za-z0-9_]+ is not set$/))
			return substr(line, 3, RLENGTH - 13)
		return ""
	}
	{ o = opt($0); if (o != "") last[o] = $0 }
	END {
		for (o in last)
			print o "\t" last[o]
	}' "$@" | LC_ALL=C sort | cut -f2- > "$out.tmp"
	mv -f "$out.tmp" "$out"
	;;
verify)
	[ $# -eq 2 ] || die "usage: $0 verify FRAGMENT DOTCONFIG"
	frag=$1
	dotconfig=$2
	[ -r "$dotconfig" ] || die "no $dotconfig"
	vmdir=$(cd "$(dirname "$0")" && pwd)
	"$vmdir/checkconfig.sh" "$frag" "$dotconfig"
	bad=0
	while IFS= read -r line; do
		case "$line" in
		'# CONFIG_'*' is not set') ;;
		*) continue ;;
		esac
		o=${line#\# }
		o=${o% is not set}
		if grep -qE "^$o=[ym]$" "$dotconfig"; then
			echo "config: asked for '$line', got: $(grep -E "^$o=" "$dotconfig")" >&2
			bad=1
		fi
	done < "$frag"
	[ $bad -eq 0 ] ||
		die "the benchmark kernel has debugging options it must not have" \
		    "(something in vm/*.config selects them)"
	;;
*)
	die "unknown command '$cmd' (merge or verify)"
	;;
esac
