# shellcheck shell=bash disable=SC2034
# (SC2034: CHANGED is read by the scripts that source this file.)
# Shared by every provision script (sourced, not run): messages, refusals, the fake-root prefix,
# the root and CentOS Stream 9 checks, root's SSH directory, whole-file and marker-block edits.
#
# Environment:
#   ROOT=PATH   prefix for every system file a script reads or writes (default: none, the real
#               root). The unit tests point it at a recorded file tree.

SCRIPT=$(basename "$0")
ROOT=${ROOT:-}
BEGIN_MARK="# BEGIN labbuilder"
END_MARK="# END labbuilder"
# Set by write_file and replace_block: 1 when the file changed, 0 when it already matched.
CHANGED=0

# One progress line on standard output, named after the script.
log() {
	echo "$SCRIPT: $*"
}

# One line on standard error naming the problem and the fix, then exit 1. The provision stage
# shows this line as the error.
die() {
	echo "$SCRIPT: $*" >&2
	exit 1
}

# A command that fails where the script did not expect it (set -e) still leaves one line saying
# which, reported once by the script itself rather than by a command substitution inside it.
on_error() {
	[ "$BASH_SUBSHELL" = 0 ] || return 0
	echo "$SCRIPT: line $3: \`$2\` failed (exit $1); its output is above" >&2
}
set -o errtrace
trap 'on_error $? "$BASH_COMMAND" $LINENO' ERR

# PATH under ROOT (a system path such as /etc/hosts).
at() {
	printf '%s%s' "$ROOT" "$1"
}

require_root() {
	[ "$(id -u)" = 0 ] || die "run as root (sudo bash $0 ...)"
}

require_el9() {
	local os release
	release=$(at /etc/os-release)
	[ -r "$release" ] || die "no /etc/os-release: this script is for CentOS Stream 9 only"
	os=$(
		# shellcheck disable=SC1090
		. "$release"
		echo "${ID:-?} ${VERSION_ID:-?} (${PRETTY_NAME:-unknown})"
	)
	case $os in
	"centos 9 "*) ;;
	*) die "this script is for CentOS Stream 9 (ID=centos, VERSION_ID=9); this host is $os" ;;
	esac
}

# True when ADDRESS is a dotted-quad IPv4 address.
is_ipv4() {
	[[ $1 =~ ^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$ ]]
}

# Make DIR (root's SSH directory) exist with mode 0700.
ssh_dir() {
	mkdir -p "$1"
	chmod 700 "$1"
}

# Give FILE exactly CONTENT (a trailing newline is added) with MODE (default 0644). An unchanged
# file is left alone; a changed one is replaced through a temporary file beside it.
write_file() {
	local file=$1 content=$2 mode=${3:-0644}
	if [ -f "$file" ] && [ ! -L "$file" ] && [ "$(cat "$file")" = "$content" ]; then
		CHANGED=0
		return 0
	fi
	mkdir -p "$(dirname "$file")"
	printf '%s\n' "$content" >"$file.labbuilder-tmp"
	chmod "$mode" "$file.labbuilder-tmp"
	mv -f "$file.labbuilder-tmp" "$file"
	CHANGED=1
}

# Rewrite the lines between BEGIN_MARK and END_MARK in FILE as BLOCK (one or more lines),
# appended at the end. The lines outside the block pass through the command FILTER (default
# cat) first. The file keeps its inode, owner, mode and SELinux label (it is written with cat).
replace_block() {
	local file=$1 block=$2 filter=${3:-cat} begins ends tmp
	touch "$file"
	begins=$(grep -cxF "$BEGIN_MARK" "$file" || true)
	ends=$(grep -cxF "$END_MARK" "$file" || true)
	[ "$begins" = "$ends" ] || die "$file has unbalanced '$BEGIN_MARK'/'$END_MARK' lines: fix them by hand"
	tmp=$(mktemp)
	awk -v begin="$BEGIN_MARK" -v end="$END_MARK" '
	$0 == begin { skip = 1; next }
	$0 == end { skip = 0; next }
	!skip { print }
	' "$file" | "$filter" >"$tmp"
	printf '%s\n%s\n%s\n' "$BEGIN_MARK" "$block" "$END_MARK" >>"$tmp"
	if cmp -s "$tmp" "$file"; then
		CHANGED=0
	else
		cat "$tmp" >"$file"
		CHANGED=1
	fi
	rm -f "$tmp"
}

# Follow the symbolic links of PATH inside ROOT (absolute targets stay under ROOT) and print
# the final path without the ROOT prefix.
resolve() {
	local path=$1 target hops=0
	while [ -L "$(at "$path")" ] && [ "$hops" -lt 20 ]; do
		target=$(readlink "$(at "$path")")
		case $target in
		/*) path=$target ;;
		*) path=$(dirname "$path")/$target ;;
		esac
		hops=$((hops + 1))
	done
	printf '%s\n' "$path"
}
