#!/bin/sh
# Seed 003's stage 4 "DB CPU stress": load the db host's CPU (and some I/O
# and memory) with stress-ng while Locust runs its db-cpu-stress stage.  Run
# it ON THE DB HOST (the Ansible loadgen role does it over ssh; by hand:
# `ssh db-1 sudo /path/to/db-stress.sh`): a locustfile cannot reach that host.
#
#   db-stress.sh [--heavy] [--timeout DURATION] [--cpu-load PERCENT]
#
# Default: seed 003's lighter option, "safer for controlled demos":
#   stress-ng --cpu 2 --cpu-load 70 --io 1 --vm 1 --vm-bytes 25% --timeout 5m
# --heavy: the full one:
#   stress-ng --cpu $(nproc) --cpu-load 95 --io 4 --vm 2 --vm-bytes 70% --timeout 10m
# Expect (seed 003): DB CPU 80-100%, response times 300-1000 ms, error rate
# rising if the load is too high; HighCPUUsage on the db host after 5 minutes.
# Stop early: Ctrl-C, or `pkill -x stress-ng` on the db host.
set -eu
heavy=0 timeout='' load=''
while [ $# -gt 0 ]; do
	case $1 in
	--heavy) heavy=1 ;;
	--timeout) timeout=${2:?--timeout needs a duration}; shift ;;
	--cpu-load) load=${2:?--cpu-load needs a percentage}; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "db-stress.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
case ${load:-0} in *[!0-9]*) echo "db-stress.sh: --cpu-load wants 0-100" >&2; exit 2 ;; esac
[ "${load:-0}" -le 100 ] || { echo "db-stress.sh: --cpu-load wants 0-100" >&2; exit 2; }
command -v stress-ng >/dev/null || { echo "db-stress.sh: stress-ng is not installed (apt-get install stress-ng)" >&2; exit 1; }
if [ "$heavy" = 1 ]; then
	set -- --cpu "$(nproc)" --cpu-load "${load:-95}" --io 4 --vm 2 --vm-bytes 70% --timeout "${timeout:-10m}"
else
	set -- --cpu 2 --cpu-load "${load:-70}" --io 1 --vm 1 --vm-bytes 25% --timeout "${timeout:-5m}"
fi
echo "db-stress.sh: stress-ng $*" >&2
exec stress-ng "$@" --metrics-brief
