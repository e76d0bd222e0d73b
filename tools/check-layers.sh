#!/bin/sh
# Fails when a file of modules/pchat includes the header of a higher layer
# (the order is written in modules/pchat/pchat_mod.h; keep both in step).
# Prints each offending include as file:line: include "x.h" (layer a > b).
#
#   tools/check-layers.sh [module dir]     default: modules/pchat

dir=${1:-$(dirname "$0")/../modules/pchat}

# layer of a file by its base name (without .c/.h); pchat_mod.c is the top,
# pchat_mod.h (settings) the bottom
layer_of() {
	case "$1" in
	pchat_mod.c) echo 7 ;;
	pchat_mod.h | pchat_xccos | pchat_identity | pchat_textmatch | pchat_uri | pchat_metrics | \
		pchat_roster_api | pchat_adapter | pchat_adapter_* | pchat_alert_match | \
		pchat_answer_scan | pchat_pending) echo 0 ;;
	pchat_db | pchat_db_conn) echo 1 ;;
	pchat_config | pchat_schema | pchat_writer | pchat_bell | \
		pchat_retention | pchat_compliance | pchat_compliance_run | pchat_proc | \
		pchat_file | pchat_search | pchat_follow | pchat_alert_store | \
		pchat_search_index) echo 2 ;;
	pchat_perm | pchat_policy | pchat_wall | pchat_access | pchat_access_rooms) echo 3 ;;
	pchat_limit | pchat_session | pchat_deliver | pchat_send | pchat_fanout | \
		pchat_pool | pchat_pool_table | pchat_pool_order | pchat_pool_beat | \
		pchat_pool_names) echo 4 ;;
	pchat_cmd | pchat_cmd_*) echo 5 ;;
	pchat_revoke | pchat_alert) echo 5 ;;
	pchat_uas | pchat_worker | pchat_provision | pchat_sipreply | pchat_admin | \
		pchat_file_http | pchat_file_soap | pchat_manage_http | \
		pchat_admin_* | \
		pchat_rpc | pchat_rpcargs) echo 6 ;;
	*) echo "" ;;
	esac
}

bad=0
for f in "$dir"/*.c "$dir"/*.h; do
	[ -e "$f" ] || continue
	base=$(basename "$f")
	case "$base" in
	pchat_mod.c | pchat_mod.h) me=$(layer_of "$base") ;;
	*) me=$(layer_of "${base%.?}") ;;
	esac
	if [ -z "$me" ]; then
		echo "$base: no layer: add it to tools/check-layers.sh and pchat_mod.h"
		bad=1
		continue
	fi
	grep -n '^#include "' "$f" | while IFS= read -r line; do
		h=$(echo "$line" | sed 's/.*#include "\(.*\)".*/\1/')
		case "$h" in core/* | modules/*) continue ;; esac
		hb=$(basename "$h")
		case "$hb" in pchat_mod.h) hl=0 ;; *) hl=$(layer_of "${hb%.h}") ;; esac
		if [ -z "$hl" ]; then
			echo "$base:${line%%:*}: include \"$h\": header without a layer"
			echo x
		elif [ "$hl" -gt "$me" ]; then
			echo "$base:${line%%:*}: include \"$h\" (layer $hl > $me)"
			echo x
		fi
	done | { out=$(cat); [ -n "$out" ] && { echo "$out" | grep -v '^x$'; exit 1; }; exit 0; } || bad=1
done
[ $bad -eq 0 ] && echo "check-layers: every include goes down or sideways"
exit $bad
