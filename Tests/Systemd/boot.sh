#!/usr/bin/env bash
# boot.sh: a real systemd as PID 1 of private namespaces, for the end-to-end test of coregate's units.
#
#   boot.sh start BOX          boot; BOX is an empty folder this script owns until `stop`.
#                              Prints the host pid of the box's systemd: its root is /proc/PID/root.
#   boot.sh run BOX CMD...     run CMD inside the box (systemctl, journalctl ...); its exit status passes through
#   boot.sh stop BOX           power the box off and remove everything it left on the host
#
# The machine that runs the tests need not boot with systemd (CI runs in a VM whose PID 1 is
# something else), so the box brings its own: new pid, mount, uts, ipc and cgroup namespaces,
# with systemd as their PID 1 in "container mode" (no udev, no clock, no module loading; its
# shutdown only ends the pid namespace). The box shares the host's network namespace, so the
# sockets systemd opens in it are reachable from the test at 127.0.0.1.
#
# Nothing written inside reaches the host: the root is an overlay whose lower layer is the host's
# root and whose upper layer is a tmpfs that lives only in the box's mount namespace. The test
# installs into the box by writing to /proc/PID/root/..., which lands in that tmpfs.
#
# Needs root, util-linux (unshare, nsenter, setpriv, pivot_root), bsdutils (script) and systemd.
# Every failure is loud: a machine that cannot boot the box fails the test rather than skipping it.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
# Enter every namespace of the box, and its root and working directory.
NSENTER=(-m -u -i -p -C -r -w)

die() { echo "boot.sh: $*" >&2; exit 1; }

# A pid counts as gone once it is a zombie: this VM's own PID 1 reaps orphans late.
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# The start time tells our systemd apart from a later process that reuses its pid.
starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# The box needs a cgroup2 hierarchy to give systemd a subtree of its own: /sys/fs/cgroup on a
# unified host, /sys/fs/cgroup/unified on a hybrid one (this VM).
cgroup2_root() {
  local dir
  for dir in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    if [ "$(stat -f -c %T "$dir" 2>/dev/null)" = cgroup2fs ]; then echo "$dir"; return; fi
  done
  die "no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified; systemd cannot run here"
}

box_pid() {
  local pid
  pid=$(cat "$BOX/pid" 2>/dev/null) || return 1
  alive "$pid" && [ "$(starttime "$pid")" = "$(cat "$BOX/pid.starttime")" ] || return 1
  echo "$pid"
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "must run as root (it mounts and creates namespaces)"
  [ -x /lib/systemd/systemd ] || die "/lib/systemd/systemd is missing (apt-get install systemd)"
  local tool
  for tool in unshare nsenter setpriv pivot_root script; do
    command -v "$tool" >/dev/null || die "$tool is missing"
  done
  mkdir -p "$BOX/root" "$BOX/upper"
  local cg; cg="$(cgroup2_root)/$NAME"
  mkdir "$cg" || die "cannot create the cgroup $cg"
  echo "$cg" > "$BOX/cgroup"
  : > "$BOX/console.log"
  # A box that failed to boot is torn down at once; the test sees why on stderr.
  BOOTED=no
  trap '[ "$BOOTED" = yes ] || cmd_stop >/dev/null 2>&1 || true' EXIT

  # The launcher shell moves itself into the box's cgroup before unshare creates the cgroup
  # namespace, so systemd sees that cgroup as its root. `script` gives the box a pty to use as
  # /dev/console (systemd logs nothing to a console that is not a tty) and copies it to console.log.
  local inner
  inner=$(printf '%q ' unshare --pid --fork --mount --uts --ipc --cgroup --propagation private \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin BOX="$BOX" NAME="$NAME" bash "$SELF" __inner "$BOX")
  setsid bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$cg" \
    script -qfe -c "$inner" "$BOX/console.log" </dev/null >/dev/null 2>&1 &
  local launcher=$! pid="" i
  # The box's init writes its host pid first thing; nothing else can tell it from the outside.
  for i in $(seq 1 500); do
    pid=$(cat "$BOX/pid.host" 2>/dev/null) || true
    [ -n "$pid" ] && break
    alive "$launcher" || { cat "$BOX/console.log" >&2; die "the launcher ended before the box started"; }
    sleep 0.02
  done
  [ -n "$pid" ] || die "the box's init did not start"
  echo "$pid" > "$BOX/pid"
  starttime "$pid" > "$BOX/pid.starttime"

  # `script` and `unshare` live outside the box's pid namespace; out of its cgroup they go, so
  # that systemd's cgroup holds only the box. They end by themselves when the box does.
  local boxns p home
  boxns=$(readlink "/proc/$pid/ns/pid")
  home=$(cgroup2_root)$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
  for p in $(cat "$cg/cgroup.procs"); do
    [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$boxns" ] && continue
    # A pid that is gone by now needs no moving.
    { echo "$p" > "$home/cgroup.procs" || echo "$p" > "$(cgroup2_root)/cgroup.procs"; } 2>/dev/null || true
  done

  for i in $(seq 1 1500); do
    [ -S "/proc/$pid/root/run/systemd/private" ] && break
    alive "$pid" || { tail -40 "$BOX/console.log" >&2; die "systemd exited while booting"; }
    sleep 0.02
  done
  [ -S "/proc/$pid/root/run/systemd/private" ] || { tail -40 "$BOX/console.log" >&2; die "systemd did not come up in 30s"; }
  local state
  state=$(timeout 30 nsenter -t "$pid" "${NSENTER[@]}" -- systemctl is-system-running --wait 2>&1) || true
  if [ "$state" != running ]; then
    nsenter -t "$pid" "${NSENTER[@]}" -- systemctl --failed --no-legend --no-pager >&2 || true
    die "the box is '$state', not running"
  fi
  BOOTED=yes
  echo "$pid"
}

cmd_stop() {
  local pid i p left cg
  if pid=$(box_pid); then
    # SIGRTMIN+4 is `systemctl poweroff` for PID 1. Its final reboot() ends only the pid namespace.
    kill -s SIGRTMIN+4 "$pid" 2>/dev/null || true
    for i in $(seq 1 1000); do alive "$pid" || break; sleep 0.02; done
    if alive "$pid"; then
      echo "boot.sh: poweroff took over 20s; SIGKILL ends the whole pid namespace" >&2
      kill -9 "$pid" 2>/dev/null || true
      for i in $(seq 1 100); do alive "$pid" || break; sleep 0.02; done
    fi
  fi
  cg=$(cat "$BOX/cgroup" 2>/dev/null) || cg=""
  if [ -n "$cg" ] && [ -d "$cg" ]; then
    # Anything still in the box's cgroup is the box's: end it by pid, then remove the (empty) tree.
    for i in 1 2 3; do
      left=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
      [ -z "$left" ] && break
      for p in $left; do kill -9 "$p" 2>/dev/null || true; done
      sleep 0.2
    done
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ ! -d "$cg" ] || echo "boot.sh: could not remove $cg" >&2
  fi
  rm -f "$BOX/pid" "$BOX/pid.starttime" "$BOX/pid.host" "$BOX/cgroup" "$BOX"/utab*
  rmdir "$BOX/root" "$BOX/upper" 2>/dev/null || true
}

cmd_run() {
  local pid
  pid=$(box_pid) || die "the box at $BOX is not running"
  # The box's own environment, not the caller's: a PATH into the caller's home (pyenv, say)
  # would name programs that the units' sandbox hides.
  exec nsenter -t "$pid" "${NSENTER[@]}" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}

# PID 1 of the new pid namespace, in new mount, uts, ipc and cgroup namespaces: builds the box's
# root and becomes systemd.
inner() {
  local R=$BOX/root
  # libmount would otherwise write its lock file into the host's /run, still visible here.
  export LIBMOUNT_UTAB=$BOX/utab
  # /proc is still the host's, so /proc/self/stat (read by bash itself) holds our host pid.
  local hostpid _
  read -r hostpid _ < /proc/self/stat
  echo "$hostpid" > "$BOX/pid.host"
  local tty; tty=$(tty) || tty=""
  mount --make-rprivate /

  mount -t tmpfs -o mode=0755 "$NAME-upper" "$BOX/upper"
  mkdir -p "$BOX/upper/data" "$BOX/upper/work"
  mount -t overlay "$NAME-root" -o "lowerdir=/,upperdir=$BOX/upper/data,workdir=$BOX/upper/work" "$R"

  # API file systems. The host-wide knobs stay read-only: systemd would raise sysctls such as
  # fs.nr_open for the whole machine, and /sys belongs to the host.
  mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
  local path
  for path in sys sysrq-trigger; do
    [ -e "$R/proc/$path" ] || continue
    mount --bind "$R/proc/$path" "$R/proc/$path"
    mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/$path"
  done
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"

  # A /dev with only the harmless devices; no disks, no kernel log.
  mount -t tmpfs -o mode=0755,nosuid,size=4m "$NAME-dev" "$R/dev"
  mknod -m 666 "$R/dev/null" c 1 3
  mknod -m 666 "$R/dev/zero" c 1 5
  mknod -m 666 "$R/dev/full" c 1 7
  mknod -m 666 "$R/dev/random" c 1 8
  mknod -m 666 "$R/dev/urandom" c 1 9
  mknod -m 666 "$R/dev/tty" c 5 0
  mkdir -m 755 "$R/dev/pts" "$R/dev/mqueue"
  mkdir -m 1777 "$R/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts "$R/dev/pts"
  ln -s pts/ptmx "$R/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev "$NAME-shm" "$R/dev/shm"
  mount -t mqueue -o nosuid,nodev,noexec mqueue "$R/dev/mqueue"
  ln -s /proc/self/fd "$R/dev/fd"
  ln -s /proc/self/fd/0 "$R/dev/stdin"
  ln -s /proc/self/fd/1 "$R/dev/stdout"
  ln -s /proc/self/fd/2 "$R/dev/stderr"
  touch "$R/dev/console"
  mount --bind "${tty:-/dev/null}" "$R/dev/console"
  mount -t tmpfs -o mode=0755,nosuid,nodev,size=20% "$NAME-run" "$R/run"
  mount -t tmpfs -o mode=1777,nosuid,nodev "$NAME-tmp" "$R/tmp"

  # Boot only what the test needs: the host's enabled units (a web server, a database) must not
  # start here, and units that touch the clock, modules or sysctls make no sense in a box.
  local units=$R/etc/systemd/system unit
  mkdir -p "$units"
  find "$units" -mindepth 1 -maxdepth 1 \( -name '*.wants' -o -name '*.requires' \) -exec rm -rf {} +
  cat > "$units/box.target" <<'EOF'
[Unit]
Description=The test box: basic system and sockets, nothing else
Requires=sysinit.target
Wants=sockets.target
After=sysinit.target sockets.target
AllowIsolate=yes
EOF
  ln -sfn box.target "$units/default.target"
  for unit in systemd-timesyncd.service systemd-networkd.service systemd-networkd.socket \
      systemd-networkd-wait-online.service systemd-resolved.service getty.target \
      console-getty.service systemd-pstore.service systemd-journald-audit.socket \
      sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
      sys-fs-fuse-connections.mount proc-sys-fs-binfmt_misc.automount systemd-binfmt.service \
      systemd-modules-load.service systemd-sysctl.service systemd-random-seed.service \
      systemd-firstboot.service systemd-repart.service; do
    ln -sfn /dev/null "$units/$unit"
  done
  echo "$NAME" > "$R/etc/hostname"
  hostname "$NAME"

  cd "$R"
  mkdir -p .oldroot
  pivot_root . .oldroot
  cd /
  umount -l /.oldroot
  rmdir /.oldroot
  # Shared propagation inside the box (new peer groups, nothing reaches the host), as a container
  # manager sets it up: LoadCredential= moves its mount into place and needs it.
  mount --make-rshared /
  # container= puts systemd in container mode; the clock and modules stay out of reach.
  exec setpriv --bounding-set -sys_time,-sys_module,-wake_alarm \
    env -i container="$NAME" PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    /lib/systemd/systemd --unit=box.target
}

command=${1:-}
[ $# -ge 2 ] || { echo "usage: $0 start|stop BOX | run BOX CMD..." >&2; exit 2; }
BOX=${2%/}
shift 2
# One box, one cgroup and hostname; the folder's name keeps boxes of parallel runs apart. A
# hostname takes only letters, digits and inner dashes, so anything else becomes an x.
NAME=${NAME:-coregate-$(basename "$BOX" | tr -c 'a-zA-Z0-9\n' 'x')}
case "$command" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  run) [ $# -gt 0 ] || die "usage: boot.sh run BOX CMD..."; cmd_run "$@" ;;
  __inner) set -euo pipefail; inner ;;
  *) echo "usage: $0 start|stop BOX | run BOX CMD..." >&2; exit 2 ;;
esac
