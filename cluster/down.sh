#!/usr/bin/env bash
# Stops this checkout's Slurm cluster: cancels its jobs, stops slurmd, slurmctld and munged, and leaves nothing
# running. The config, key, state and logs stay in the cluster folder for the next `make cluster`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -d "$dir" ] || { echo "no Slurm cluster in $dir"; exit 0; }
exec 9>"$dir/lock"
flock 9

up=()
for d in "${daemons[@]}"; do running_pid "$d" >/dev/null && up+=("$d"); done

# Jobs first, while slurmctld and slurmd are there to end them: a job step (slurmstepd and its processes)
# would otherwise outlive slurmd.
if running_pid slurmctld >/dev/null; then
  export SLURM_CONF="$conf"
  jobs="$(timeout 10 squeue --noheader --format=%A 2>/dev/null | sort -u || true)"
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086
    timeout 10 scancel $jobs 2>/dev/null || true
    for _ in $(seq 60); do
      [ -z "$(timeout 10 squeue --noheader --format=%A 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
fi

stop() {
  local pid
  pid="$(running_pid "$1")" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do running_pid "$1" >/dev/null || return 0; sleep 0.1; done
  echo "$1 ($pid) ignored SIGTERM for 10 s: killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}
for d in "${daemons[@]}"; do stop "$d"; done

# Steps that outlived their job (a slurmd killed hard): found by the config they were started with.
for env in /proc/[0-9]*/environ; do
  pid="${env#/proc/}"; pid="${pid%/environ}"
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slurmstepd ] && alive "$pid" || continue
  if tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF "SLURM_CONF=$conf"; then
    echo "stopping leftover slurmstepd $pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

for d in "${daemons[@]}"; do rm -f "$(pidfile "$d")"; done
rm -f "$socket" "$socket.lock"
if [ ${#up[@]} -eq 0 ]; then
  echo "Slurm cluster was not running ($dir)"
else
  echo "Slurm cluster stopped (${up[*]}); config, state and logs kept in $dir"
fi
