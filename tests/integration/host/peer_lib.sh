# Side by side with Debian's node_exporter 1.5: the one library of the tests
# that run both exporters on the same fixture tree (or live) and compare
# what they expose.  Sourced after tests/lib/common.sh; uses the test's $d
# (a temp dir: made here when the test has none).
#
# A "pair" is both exporters started with the same flags on two loopback
# ports from free_ports.  Pairs start in the background and cost nothing
# while they wait, so a test starts all its pairs at once and pays for one
# start-up (the dear part under ASan), not one per case:
#
#   peer_start LABEL RE COLLECTORS [FLAGS...]   start a pair (returns at once)
#   peer_gather                                 wait for every pair started
#                                               since the last gather, scrape
#                                               each into $d/{ne,he}-LABEL.txt,
#                                               stop them
#   peer_gather_same                            peer_gather, then peer_same on
#                                               each pair gathered
#   peer_same LABEL / peer_same_names LABEL     one check each: identical
#                                               output / identical series
#                                               (live: values move)
#
# A test that rewrites one tree between scrapes keeps its pair running:
#
#   peer_start fx RE COLLECTORS --path.sysfs=$S; peer_keep fx
#   peer_wait fx || ...
#   change the tree; peer_compare fx CASE       scrape into CASE's files, check
#   peer_scrape_he fx CASE                      host-exporter alone (a case that
#                                               kills node_exporter 1.5)
#   peer_stop fx
#
# RE selects the families compared: lines matching ^(# (HELP|TYPE) )?(RE),
# and node_scrape_collector_success always; RE "" keeps the whole
# exposition, unsorted and as served (for compare.py and the like).  Sample
# values are printed as %.17g numbers (node_exporter writes 1.8e+09 where we
# write 1800000000); Inf and NaN stay as written.  COLLECTORS is a list of
# collector names (--collector.disable-defaults --collector.NAME...), or
# "defaults" for each exporter's default set.  A host-exporter log with a
# sanitizer report (make asan; leaks at exit included) fails the pair.
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
[ -n "${d:-}" ] || d=$(tmpdir_new)

declare -A _peer_re _peer_port _peer_pid _peer_used
_peer_pending=()

# _peer_ports: two free loopback ports none of this test's pairs got before.
# They come from a pool filled 16 at a time: one python3 start (a second on
# a loaded machine) serves eight pairs.
_peer_pool=()
_peer_ports() {
	local p
	_peer_p=()
	while [ "${#_peer_p[@]}" -lt 2 ]; do
		[ "${#_peer_pool[@]}" -gt 0 ] || mapfile -t _peer_pool < <(free_ports 16)
		p=${_peer_pool[0]}
		_peer_pool=("${_peer_pool[@]:1}")
		[ -n "$p" ] && [ -z "${_peer_used[$p]:-}" ] || continue
		_peer_used[$p]=1
		_peer_p+=("$p")
	done
}

# peer_start LABEL RE COLLECTORS [FLAGS...]: start the pair LABEL, both with
# the same flags; logs in $d/ne-LABEL.log and $d/he-LABEL.log.
peer_start() {
	local label=$1 re=$2 cols=$3 a=() c
	shift 3
	if [ "$cols" != defaults ]; then
		a+=(--collector.disable-defaults)
		for c in $cols; do a+=("--collector.$c"); done
	fi
	_peer_ports
	"$NE" --web.listen-address="127.0.0.1:${_peer_p[0]}" "${a[@]}" "$@" >"$d/ne-$label.log" 2>&1 &
	_peer_pid[ne-$label]=$!
	"$HE" --web.listen-address="127.0.0.1:${_peer_p[1]}" "${a[@]}" "$@" >"$d/he-$label.log" 2>&1 &
	_peer_pid[he-$label]=$!
	on_exit "kill ${_peer_pid[ne-$label]} ${_peer_pid[he-$label]} 2>/dev/null"
	_peer_port[ne-$label]=${_peer_p[0]}
	_peer_port[he-$label]=${_peer_p[1]}
	_peer_re[$label]=$re
	_peer_pending+=("$label")
}

# peer_keep LABEL: the next peer_gather leaves this pair alone (the test
# scrapes it itself: peer_wait, peer_compare, peer_scrape_he, peer_stop).
peer_keep() {
	local l rest=()
	for l in "${_peer_pending[@]}"; do [ "$l" = "$1" ] || rest+=("$l"); done
	_peer_pending=("${rest[@]}")
}

# _peer_alive PID: the process runs (a zombie does not: kill -0 would say it
# does until it is reaped).  One read of /proc/PID/stat.
_peer_alive() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# _peer_up WHO-LABEL: until its /metrics answers 200 (60 s at most); 1 at
# once when the process has exited (a refused flag: nothing to wait for).
_peer_up() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			"http://127.0.0.1:${_peer_port[$1]}/metrics" 2>/dev/null)" = 200 ] && return 0
		_peer_alive "${_peer_pid[$1]}" || return 1
		sleep 0.2
	done
	return 1
}

# peer_wait LABEL [WHO...]: both of the pair answer (WHO: ne, he; "he" for
# a tree whose first scrape kills node_exporter 1.5); else their logs' last
# lines and 1.
peer_wait() {
	local label=$1 who ok=0
	shift
	[ $# -gt 0 ] || set -- ne he
	for who in "$@"; do
		_peer_up "$who-$label" && continue
		ok=1
		echo "# $label: $who did not answer; the end of its log:"
		tail -n 5 "$d/$who-$label.log" | sed 's/^/#   /'
	done
	return $ok
}

# Sample values as %.17g numbers; comments and non-numbers as they are.
_peer_numbers() {
	awk '/^#/ { print; next }
	{ i = match($0, / [^ ]+$/); if (!i) { print; next }
	  v = substr($0, i + 1)
	  if (v ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) v = sprintf("%.17g", v + 0)
	  print substr($0, 1, i) v }'
}

# _peer_get WHO-LABEL RE OUT: scrape, select, normalise, sort into OUT; 1 if
# the scrape failed or the process is gone (then the answer was not its).
_peer_get() {
	local url="http://127.0.0.1:${_peer_port[$1]}/metrics"
	if [ -z "$2" ]; then
		curl -sf --max-time 60 "$url" >"$3" || return 1
	else
		curl -sf --max-time 60 "$url" >"$3.raw" || return 1
		grep -E "^(# (HELP|TYPE) )?($2)|^node_scrape_collector_success" "$3.raw" | _peer_numbers | sort >"$3"
	fi
	_peer_alive "${_peer_pid[$1]}"
}

# peer_scrape LABEL [OUT]: scrape the running pair into $d/ne-OUT.txt and
# $d/he-OUT.txt (OUT defaults to LABEL); 1 (and no he file) on a failure.
peer_scrape() {
	local label=$1 out=${2:-$1}
	if _peer_get "ne-$label" "${_peer_re[$label]}" "$d/ne-$out.txt" &&
		_peer_get "he-$label" "${_peer_re[$label]}" "$d/he-$out.txt"; then
		return 0
	fi
	rm -f "$d/he-$out.txt"
	echo "# $out: a scrape failed; the end of the logs:"
	tail -n 5 "$d/ne-$label.log" "$d/he-$label.log" | sed 's/^/#   /'
	return 1
}

# peer_running LABEL: host-exporter of the pair still runs.
peer_running() {
	_peer_alive "${_peer_pid[he-$1]}"
}

# peer_scrape_he LABEL OUT: host-exporter's side alone.
peer_scrape_he() {
	_peer_get "he-$1" "${_peer_re[$1]}" "$d/he-$2.txt" || rm -f "$d/he-$2.txt"
}

# peer_compare LABEL OUT: peer_scrape, then peer_same (a failed scrape is
# the one failing check).
peer_compare() {
	if peer_scrape "$1" "$2"; then
		peer_same "$2"
	else
		fail "$2: both exporters answered"
	fi
}

# peer_stop LABEL...: stop the pairs (all signalled first, then reaped); a
# sanitizer report in a host-exporter's log is a failure.
peer_stop() {
	local label
	for label in "$@"; do
		kill "${_peer_pid[ne-$label]}" "${_peer_pid[he-$label]}" 2>/dev/null
	done
	for label in "$@"; do
		wait "${_peer_pid[ne-$label]}" "${_peer_pid[he-$label]}" 2>/dev/null
		if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$d/he-$label.log"; then
			sed 's/^/#   /' "$d/he-$label.log"
			fail "$label: host-exporter's sanitizer report"
		fi
	done
}

# peer_gather: every pair started since the last gather answers (or is one
# failed check), is scraped into $d/{ne,he}-LABEL.txt and stopped.  The
# pairs are waited for and scraped all at once.
peer_gather() {
	local i label pids=()
	for label in "${_peer_pending[@]}"; do
		{ peer_wait "$label" && peer_scrape "$label"; } >"$d/gather-$label.out" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		label=${_peer_pending[$i]}
		if ! wait "${pids[$i]}"; then
			cat "$d/gather-$label.out"
			rm -f "$d/he-$label.txt"
			fail "$label: both exporters answered"
		fi
	done
	peer_stop "${_peer_pending[@]}"
	_peer_pending=()
}

# peer_gather_same: peer_gather, then peer_same for every pair it gathered
# (the usual end of a test's cases).
peer_gather_same() {
	local labels=("${_peer_pending[@]}") label
	peer_gather
	for label in "${labels[@]}"; do peer_same "$label"; done
}

# peer_same LABEL: one check, the outputs are identical (diff shown on
# failure).  Nothing when the pair already failed (no he file).
peer_same() {
	[ -f "$d/he-$1.txt" ] || return 0
	check "$1: same output as node_exporter" diff -u "$d/ne-$1.txt" "$d/he-$1.txt"
}

# peer_same_names LABEL: the same series and HELP/TYPE, values aside (live:
# counters move between the two scrapes).
peer_same_names() {
	[ -f "$d/he-$1.txt" ] || return 0
	check "$1: same series names and success as node_exporter" \
		diff -u <(sed 's/ [^ ]*$//' "$d/ne-$1.txt") <(sed 's/ [^ ]*$//' "$d/he-$1.txt")
}

# peer_has LABEL LINE: the exact line is in host-exporter's output of LABEL
# (so that two empty outputs cannot agree unseen).
peer_has() {
	check "$1: has '$2'" grep -qxF -- "$2" "$d/he-$1.txt"
}
