#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Verify that every option a config fragment asks for survived Kconfig's
# dependency resolution.  Usage: checkconfig.sh FRAGMENT DOTCONFIG
set -eu
frag=$1
dotconfig=$2
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) ;;
	*) continue ;;
	esac
	opt=${line%%=*}
	if ! grep -qxF "$line" "$dotconfig"; then
		got=$(grep -E "^$opt=|^# $opt is not set" "$dotconfig" || echo "$opt absent")
		echo "config: asked for $line, got: $got" >&2
		bad=1
	fi
done < "$frag"
if [ $bad -ne 0 ]; then
	echo "error: the kernel config lacks options the fragments ask for" \
	     "(a dependency is missing from vm/*.config)" >&2
	exit 1
fi
