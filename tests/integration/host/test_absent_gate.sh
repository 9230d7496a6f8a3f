#!/bin/bash
# Paths only a module's load (or the boot) creates, probed by the default
# collectors on every scrape (/proc/mdstat, /sys/class/nvme, /sys/fs/bcache,
# cpu0's thermal_throttle, ...: procfile.c gated()), are not opened again
# while they stay missing and the loaded modules stay the same: after the
# first scrape, three default scrapes make no failed open (or stat) of them.
# Their collectors still answer as node_exporter 1.5 does (no series), and
# cpufreq looks at cpu/cpufreq once, not at each CPU, when it has no
# policy; fixture trees (--path.sysfs that is no sysfs) are never gated: a class
# directory appearing there between two scrapes shows at the next one.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
command -v strace >/dev/null || { echo "strace not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
mkdir "$d/tf"
# the gated paths missing on this host
gated=(/proc/schedstat /proc/mdstat /proc/net/rpc/nfs /proc/net/rpc/nfsd /proc/net/ip_vs_stats
	/proc/spl/kstat/zfs /sys/class/nvme /sys/class/hwmon /sys/class/infiniband /sys/class/fc_host
	/sys/class/powercap /sys/class/scsi_tape /sys/class/net/bonding_masters
	/sys/devices/system/edac/mc /sys/fs/bcache
	/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count)
missing=()
for p in "${gated[@]}"; do [ -e "$p" ] || missing+=("$p"); done
[ ${#missing[@]} -gt 0 ] || { echo "every gated path exists on this host: nothing to test"; exit 77; }

read -r hp np < <(free_ports 2 | tr '\n' ' ')
"$HE" --web.listen-address="127.0.0.1:$hp" --collector.textfile.directory="$d/tf" \
	--log.level=warn >"$d/he.log" 2>&1 &
hpid=$!
on_exit "kill $hpid 2>/dev/null"
"$NE" --web.listen-address="127.0.0.1:$np" --collector.textfile.directory="$d/tf" \
	--log.level=warn >"$d/ne.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$hp/metrics" 60 && wait_http "http://127.0.0.1:$np/metrics" 60 ||
	{ fail "exporters did not start"; finish; }
curl -s --max-time 30 -o /dev/null "http://127.0.0.1:$hp/metrics"	# the first looks

strace -f -qq -e trace=%file -o "$d/he.tr" -p "$hpid" 2>/dev/null &
spid=$!
wait_for 10 all_traced "$hpid"
for i in 1 2 3; do curl -s --max-time 30 -o "$d/he.prom" "http://127.0.0.1:$hp/metrics"; done
kill -INT $spid
wait $spid 2>/dev/null
curl -s --max-time 30 -o "$d/ne.prom" "http://127.0.0.1:$np/metrics"
check "three scrapes were traced" [ "$(grep -c 'openat(' "$d/he.tr")" -gt 0 ]
tried=0
for p in "${missing[@]}"; do
	n=$(grep -cF "\"$p\"" "$d/he.tr")
	tried=$((tried + n))
	[ "$n" = 0 ] || echo "# $p: $n lookups"
done
check "three scrapes: no lookup of the ${#missing[@]} missing gated paths ($tried)" [ "$tried" = 0 ]
# cpu1's throttle counts follow cpu0's (the boot CPU stays online)
if [ ! -e /sys/devices/system/cpu/cpu0/thermal_throttle ] && [ -d /sys/devices/system/cpu/cpu1 ]; then
	n=$(grep -c 'cpu1/thermal_throttle' "$d/he.tr")
	check "no lookup of cpu1's thermal_throttle either ($n)" [ "$n" = 0 ]
fi
# cpufreq: cpu/cpufreq without a policy directory (link count 2) or
# missing: no CPU has cpufreq, asked with one stat instead of one per CPU
cf=/sys/devices/system/cpu/cpufreq
if [ ! -e $cf ] || [ "$(stat -c %h $cf)" = 2 ]; then
	n=$(grep -c 'cpu/cpu[0-9]*/cpufreq"' "$d/he.tr")
	check "no CPU's cpufreq looked up ($n) while $cf has no policy" [ "$n" = 0 ]
fi
fams='^node_(md_|nfs_|nfsd_|ipvs_|zfs_|nvme_|hwmon_|infiniband_|fibrechannel_|rapl_|tape_|bonding_|edac_|bcache_|schedstat_|cpu_(core|package)_throttles|cpu_(scaling_)?frequency)'
check "the same families of those collectors as node_exporter's" \
	diff -u <(grep -E "$fams" "$d/ne.prom" | sed 's/[{ ].*//' | sort -u) \
	<(grep -E "$fams" "$d/he.prom" | sed 's/[{ ].*//' | sort -u)
check "host-exporter logged no error (but systemd's without D-Bus)" [ -z "$(grep -i 'level=error' "$d/he.log" | grep -v 'collector=systemd')" ]

# A fixture tree is read afresh: class/nvme appearing there shows.
mkdir -p "$d/sys/class"
fp=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$fp" --collector.disable-defaults --collector.nvme \
	--path.sysfs="$d/sys" --log.level=warn >"$d/fx.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$fp/metrics" 60 || { fail "host-exporter (fixture) did not start"; finish; }
curl -s --max-time 30 -o "$d/fx1.prom" "http://127.0.0.1:$fp/metrics"
check "fixture: no nvme series while class/nvme is missing" [ "$(grep -c '^node_nvme_info' "$d/fx1.prom")" = 0 ]
mkdir -p "$d/sys/class/nvme/nvme0"
for a in serial:S1 model:M1 firmware_rev:F1 state:live; do printf '%s\n' "${a#*:}" >"$d/sys/class/nvme/nvme0/${a%%:*}"; done
curl -s --max-time 30 -o "$d/fx2.prom" "http://127.0.0.1:$fp/metrics"
check "fixture: class/nvme made between two scrapes shows at the next" \
	grep -q '^node_nvme_info{.*device="nvme0"' "$d/fx2.prom"
finish
