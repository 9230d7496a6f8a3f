#!/bin/bash
# cpufreq against node_exporter 1.5 on the same sysfs trees (odd and missing
# files included): node_cpu_frequency_* and node_cpu_scaling_frequency_*
# (kHz in the files, hertz exported), HELP/TYPE and the collector's success
# must agree.  Then live on this host's /sys (a VM may have no cpufreq:
# then both must send no series and success 1).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

tree() {	# $1 case: two CPUs with every file, one with scaling_cur_freq only, one without cpufreq
	local t=$d/$1 c f
	for c in 0 1 10; do
		f=$t/devices/system/cpu/cpu$c/cpufreq
		mkdir -p "$f"
		printf '%s\n' $((1800000 + c)) >"$f/cpuinfo_cur_freq"
		printf '800000\n' >"$f/cpuinfo_min_freq"
		printf '3600000\n' >"$f/cpuinfo_max_freq"
		printf '10000\n' >"$f/cpuinfo_transition_latency"
		printf '%s\n' $((1700000 + c)) >"$f/scaling_cur_freq"
		printf '900000\n' >"$f/scaling_min_freq"
		printf '3500000\n' >"$f/scaling_max_freq"
		printf 'performance powersave\n' >"$f/scaling_available_governors"
		printf 'intel_pstate\n' >"$f/scaling_driver"
		printf 'powersave\n' >"$f/scaling_governor"
		printf '%s\n' $c >"$f/related_cpus"
		printf '<unsupported>\n' >"$f/scaling_setspeed"
	done
	f=$t/devices/system/cpu/cpu2/cpufreq
	mkdir -p "$f" "$t/devices/system/cpu/cpu3" "$t/devices/system/cpu/cpufreq" "$t/devices/system/cpu/cpuidle"
	printf '1000\n' >"$f/scaling_cur_freq"
	for x in scaling_available_governors scaling_driver scaling_governor related_cpus scaling_setspeed; do
		: >"$f/$x"
	done
	printf '\n' >"$t/devices/system/cpu/offline"
	f=$t/devices/system/cpu/cpu0/cpufreq
	case $1 in
	full) ;;
	nodriver) rm "$f/scaling_driver" ;;	# a string file missing: an error
	nocur) rm "$f/cpuinfo_cur_freq" ;;	# a number missing: skipped
	garbage) printf 'abc\n' >"$f/scaling_cur_freq" ;;
	negative) printf -- '-5\n' >"$f/cpuinfo_min_freq" ;;
	plus) printf '+5\n' >"$f/cpuinfo_max_freq" ;;
	empty) : >"$f/scaling_max_freq" ;;
	badlatency) printf 'zz\n' >"$f/cpuinfo_transition_latency" ;;	# read, not exported
	spaces) printf '  42 \n\n' >"$f/cpuinfo_cur_freq"; printf '007\n' >"$f/scaling_min_freq" ;;
	huge) printf '18446744073709551615\n' >"$f/cpuinfo_cur_freq" ;;
	overflow) printf '18446744073709551616\n' >"$f/cpuinfo_cur_freq" ;;
	isdir) rm "$f/scaling_cur_freq"; mkdir "$f/scaling_cur_freq" ;;
	notdir) rm -r "$f"; : >"$f" ;;
	offline) printf '0-1\n' >"$t/devices/system/cpu/offline" ;;	# 1.5 ignores it
	stats) mkdir "$f/stats"; printf 'x y z\n' >"$f/stats/time_in_state"; printf 'zz\n' >"$f/stats/total_trans" ;;
	nocpufreq) rm -r "$t"/devices/system/cpu/cpu*/cpufreq ;;
	nocpus) rm -r "$t/devices" ;;
	esac
	echo "$t"
}

re='node_cpu_(scaling_)?frequency_'
for c in full nodriver nocur garbage negative plus empty badlatency spaces huge overflow isdir \
	notdir offline stats nocpufreq nocpus; do
	peer_start "$c" "$re" cpufreq --path.sysfs="$(tree "$c")"
done
peer_start live "$re" cpufreq	# this host's /sys
peer_gather_same
peer_has full 'node_cpu_frequency_hertz{cpu="10"} 1800010000'
peer_has full 'node_cpu_scaling_frequency_hertz{cpu="2"} 1000000'
peer_has full 'node_cpu_frequency_min_hertz{cpu="0"} 800000000'
peer_has full 'node_cpu_scaling_frequency_max_hertz{cpu="1"} 3500000000'
peer_has full 'node_scrape_collector_success{collector="cpufreq"} 1'
peer_has nocur 'node_cpu_frequency_hertz{cpu="1"} 1800001000'
peer_has spaces 'node_cpu_frequency_hertz{cpu="0"} 42000'
peer_has huge 'node_cpu_frequency_hertz{cpu="0"} 1.8446744073709552e+22'
for c in nodriver garbage negative plus empty badlatency overflow isdir notdir; do
	peer_has "$c" 'node_scrape_collector_success{collector="cpufreq"} 0'
	check "$c: no cpufreq series after the failure" bash -c "! grep -q '^node_cpu' '$d/he-$c.txt'"
done
peer_has nocpufreq 'node_scrape_collector_success{collector="cpufreq"} 1'
peer_has nocpus 'node_scrape_collector_success{collector="cpufreq"} 1'
finish
