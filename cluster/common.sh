# Shared by cluster/up.sh and cluster/down.sh: where this checkout's Slurm cluster lives and how to tell
# whether one of its daemons is running. Sourced, not run.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The cluster belongs to the checkout (or to KIRCHHOFFHW_CLUSTER_DIR): its config, munge key, state, logs and
# pid files all live there, nothing under /etc or /var, so it never touches a site's own Slurm.
dir="${KIRCHHOFFHW_CLUSTER_DIR:-$root/.cluster}"
conf="$dir/slurm.conf"
# A unix socket path holds at most 107 bytes; a checkout deep enough to exceed that keeps munge's socket in
# a short folder of its own instead.
if [ ${#dir} -le 80 ]; then
  sockdir="$dir/run"
else
  sockdir="/tmp/kirchhoffhw-munge-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)"
fi
socket="$sockdir/munge.socket"
daemons=(slurmd slurmctld munged)

die() { echo "error: $*" >&2; exit 2; }

pidfile() { echo "$dir/run/$1.pid"; }

# The pid in a daemon's pid file if that process is alive and is that daemon; a stale file (dead process, or
# its pid reused by another program) counts as not running.
running_pid() {
  local file pid comm
  file="$(pidfile "$1")"
  # The daemon may remove its pid file between the test and the read.
  [ -s "$file" ] || return 1
  pid="$(tr -dc '0-9' 2>/dev/null <"$file")" || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
  [ "$comm" = "$1" ] || return 1
  alive "$pid" || return 1
  echo "$pid"
}

# Not a zombie: where nothing reaps orphans (a container's init), a dead daemon lingers as one.
alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

node_state() {
  SLURM_CONF="$conf" timeout 10 sinfo --noheader --nodes="$(hostname -s)" --format=%T 2>/dev/null | head -n 1
}
