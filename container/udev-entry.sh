#!/bin/sh
# The box container's ENTRYPOINT. balena's convention is UDEV=on for a
# privileged service whose devices come and go; only balenalib images honour
# it (their /usr/bin/entry.sh), and ours is node:20-bookworm-slim, so this
# does the same: a live /dev (devtmpfs) and udevd, then it becomes the CMD.
# Cameras and microphones plugged in after start then appear in /dev.
#
# /dev is touched only by PID 1 of a container (its /dev is the container's
# own), or when ROOMCAST_UDEV_FORCE=1 says so: run by hand on a workstation,
# this script mounts nothing and just runs the command.
set -u

say() { echo "udev-entry: $*" >&2; }

wanted() {
  case "$(printf %s "${UDEV:-}" | tr '[:upper:]' '[:lower:]')" in
    on | 1 | true) return 0 ;;
    *) return 1 ;;
  esac
}

# Mounting needs CAP_SYS_ADMIN (bit 21), which only a privileged container has.
privileged() {
  caps=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
  [ -n "$caps" ] && [ $(((0x$caps >> 21) & 1)) -eq 1 ]
}

# Docker's /dev is a static tmpfs: replace it with a devtmpfs (which shows the
# host's device nodes as the kernel adds them), keeping the mounts inside it.
mount_dev() {
  new=$(mktemp -d) && mount -t devtmpfs none "$new" || return 1
  for sub in shm mqueue pts console; do
    mountpoint -q "/dev/$sub" || continue
    if [ -d "/dev/$sub" ]; then mkdir -p "$new/$sub"; else touch "$new/$sub"; fi
    mount --move "/dev/$sub" "$new/$sub" || return 1
  done
  umount /dev 2>/dev/null || true
  mount --move "$new" /dev || return 1
  # Docker mounts devpts with newinstance: ptmx must be that instance's.
  ln -sf /dev/pts/ptmx /dev/ptmx
}

start_udev() {
  # In a network namespace of its own, as balenalib's entry.sh runs it.
  unshare --net /lib/systemd/systemd-udevd --daemon || return 1
  udevadm trigger --action=add || return 1
  udevadm settle --timeout=10 || say "devices still settling after 10 s; going on"
}

if wanted; then
  if [ "$$" -ne 1 ] && [ "${ROOMCAST_UDEV_FORCE:-}" != 1 ]; then
    say "UDEV=${UDEV} but not PID 1 of a container: /dev left alone (ROOMCAST_UDEV_FORCE=1 overrides)"
  elif ! privileged; then
    say "UDEV=${UDEV} but the container is not privileged: devices plugged in later will not appear"
  elif mount_dev && start_udev; then
    say "udevd started: /dev follows devices plugged in later"
  else
    # The agent still runs with the devices present at start.
    say "starting udev failed: devices plugged in later will not appear"
  fi
fi

exec "$@"
