#!/usr/bin/env bash
# systemd/install.sh install|uninstall: what `make install` and `make uninstall` do.
#
#   BIN      the coregate binary to install (make builds it first)
#   PREFIX   where the program goes (default /usr/local); the units are rewritten to match
#   DESTDIR  a staging root that everything is written under (packaging, or a test's box)
#
# The configuration in /etc/coregate belongs to the operator once it exists: install adds only
# what is missing and never overwrites a file, and uninstall leaves /etc/coregate and the state in
# /var/lib/coregate alone (queued events must survive an uninstall-and-reinstall).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
# Fixed by the units (ConfigurationDirectory=, StateDirectory=) and SPEC §1, whatever PREFIX is.
UNITDIR=/etc/systemd/system
CONFDIR=/etc/coregate
BINDIR=$PREFIX/bin
SYSUSERSDIR=$PREFIX/lib/sysusers.d
DOCDIR=$PREFIX/share/doc/coregate
EXAMPLES=$PREFIX/share/coregate/examples

say() { echo "install.sh: $*"; }

# The files install always replaces, and so the files uninstall removes. Config is not among them.
owned_files() {
  echo "$BINDIR/coregate"
  echo "$UNITDIR/coregate.socket"
  echo "$UNITDIR/coregate.service"
  echo "$SYSUSERSDIR/coregate.conf"
}
owned_dirs() {
  echo "$DOCDIR"
  echo "$PREFIX/share/coregate"
}

# A config file is copied only when the operator has none: an upgrade never resets a setting.
install_config() {
  local mode=$1 source=$2 target=$DESTDIR$3
  if [ -e "$target" ]; then
    say "kept $3 (exists)"
  else
    install -D -m "$mode" "$source" "$target"
  fi
}

# The service user, from the same sysusers.d line systemd itself would use at boot.
create_user() {
  local conf=$DESTDIR$SYSUSERSDIR/coregate.conf
  if [ -z "$DESTDIR" ]; then
    systemd-sysusers "$conf"
  elif [ -f "$DESTDIR/etc/passwd" ]; then
    # DESTDIR is a whole system (a container's root): create the user in its /etc/passwd.
    systemd-sysusers --root="$DESTDIR" "$conf"
  else
    # A packaging stage has no /etc/passwd; the package runs systemd-sysusers when installed.
    say "not creating the coregate user under DESTDIR=$DESTDIR (run systemd-sysusers on the target)"
  fi
}

cmd_install() {
  local bin=${BIN:?BIN names the coregate binary to install}
  [ -x "$bin" ] || { echo "install.sh: $bin is not an executable; build it first" >&2; exit 1; }

  install -D -m 0755 "$bin" "$DESTDIR$BINDIR/coregate"
  # The units name the binary and the docs by path; a PREFIX other than /usr/local moves both.
  local unit
  install -d -m 0755 "$DESTDIR$UNITDIR"
  for unit in coregate.socket coregate.service; do
    sed "s|/usr/local/|$PREFIX/|g" "$REPO/systemd/$unit" > "$DESTDIR$UNITDIR/$unit"
    chmod 0644 "$DESTDIR$UNITDIR/$unit"
  done
  install -D -m 0644 "$REPO/systemd/coregate.sysusers" "$DESTDIR$SYSUSERSDIR/coregate.conf"
  install -D -m 0644 "$REPO/docs/operator-guide.md" "$DESTDIR$DOCDIR/operator-guide.md"

  # Pristine examples, replaced on every install, for the operator to compare and copy from.
  rm -rf "$DESTDIR$EXAMPLES"
  install -d -m 0755 "$DESTDIR$EXAMPLES/systemd"
  cp -R "$REPO/tenants" "$DESTDIR$EXAMPLES/tenants"
  if [ -d "$REPO/handlers" ]; then cp -R "$REPO/handlers" "$DESTDIR$EXAMPLES/handlers"; fi
  install -m 0644 "$REPO/systemd/coregate.toml" "$DESTDIR$EXAMPLES/coregate.toml"
  cp -R "$REPO/systemd/coregate.socket.d" "$REPO/systemd/coregate.service.d" "$DESTDIR$EXAMPLES/systemd/"

  # The operator's configuration. The example tenants are installed as *.toml.example, which the
  # service does not load: their secrets are public, and a real tenant starts from a copy.
  install_config 0644 "$REPO/systemd/coregate.toml" "$CONFDIR/coregate.toml"
  local new_tenants_dir=no
  [ -d "$DESTDIR$CONFDIR/tenants" ] || new_tenants_dir=yes
  install -d -m 0755 "$DESTDIR$CONFDIR/tenants" "$DESTDIR$CONFDIR/handlers"
  local file name
  for file in "$REPO"/tenants/*.toml; do
    install_config 0644 "$file" "$CONFDIR/tenants/$(basename "$file").example"
  done
  if [ -d "$REPO/handlers" ]; then
    for file in "$REPO"/handlers/*; do
      [ -f "$file" ] || continue
      name=$(basename "$file")
      install_config "$([ -x "$file" ] && echo 0755 || echo 0644)" "$file" "$CONFDIR/handlers/$name"
    done
  fi
  # Secrets for LoadCredential=: only root (and so systemd) may read them; the service gets copies.
  install -d -m 0700 "$DESTDIR$CONFDIR/credentials"

  create_user
  # Tenant files name each other's secrets (or hold them): the service reads them through its
  # group, tenants' handlers (other users) do not. An existing folder is the operator's to change.
  local group_id
  group_id=$(awk -F: '$1 == "coregate" { print $3 }' "$DESTDIR/etc/group" 2>/dev/null || true)
  if [ "$new_tenants_dir" = yes ] && [ -n "$group_id" ]; then
    chgrp "$group_id" "$DESTDIR$CONFDIR/tenants" && chmod 0750 "$DESTDIR$CONFDIR/tenants"
  fi
  if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    say "installed; start with: systemctl enable --now coregate.socket"
  fi
}

cmd_uninstall() {
  if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now coregate.socket coregate.service 2>/dev/null || true
  fi
  local path
  while read -r path; do rm -f "$DESTDIR$path"; done < <(owned_files)
  while read -r path; do rm -rf "$DESTDIR$path"; done < <(owned_dirs)
  if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
  # The user stays, as packages leave theirs: files in the state folder still belong to it.
  say "left in place: $CONFDIR, /var/lib/coregate and the coregate user"
}

case "${1:-}" in
  install) cmd_install ;;
  uninstall) cmd_uninstall ;;
  *) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
