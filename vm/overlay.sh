#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the project's files visible inside the unpacked kernel tree as
# symlinks, so that an edit in the project rebuilds incrementally.
# Usage: overlay.sh PROJECT_DIR KERNEL_SRC
set -eu
top=$1
ksrc=$2
cd "$top"
git ls-files --cached --others --exclude-standard -- \
	drivers include tools Documentation |
while read -r f; do
	[ -e "$f" ] || continue
	if [ -e "$ksrc/$f" ] && [ ! -L "$ksrc/$f" ]; then
		echo "error: overlay file $f would replace a base kernel file;" \
		     "change it through patches/ instead" >&2
		exit 1
	fi
	if [ "$(readlink "$ksrc/$f" 2>/dev/null)" != "$top/$f" ]; then
		mkdir -p "$ksrc/$(dirname "$f")"
		ln -sfn "$top/$f" "$ksrc/$f"
	fi
done
# Drop links whose project file is gone.
find "$ksrc" -xtype l -lname "$top/*" -delete
