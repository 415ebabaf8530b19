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

# Set by mount_dev for undo_dev: the temp devtmpfs, the mounts moved into it
# (latest first) and the mount points this script created in it.
new=''
moved=''
made=''

# Docker's /dev is a static tmpfs: replace it with a devtmpfs (which shows the
# host's device nodes as the kernel adds them), keeping the mounts inside it.
# All or nothing: a step that fails undoes the ones before it, so the agent
# never starts with /dev/shm (GStreamer, Chromium) or /dev/pts stranded in a
# temp dir.
mount_dev() {
  new=$(mktemp -d) || return 1
  if ! mount -t devtmpfs none "$new"; then
    rmdir "$new"
    say "could not mount a devtmpfs: /dev left as it was"
    return 1
  fi
  # devtmpfs is one file system for the whole machine: what is created in it
  # appears in the host's /dev too, so only missing mount points are made.
  for sub in shm mqueue pts console; do
    mountpoint -q "/dev/$sub" || continue
    if [ ! -e "$new/$sub" ]; then
      if [ -d "/dev/$sub" ]; then mkdir "$new/$sub"; else touch "$new/$sub"; fi || {
        undo_dev "could not create $sub in the devtmpfs"
        return 1
      }
      made="$sub $made"
    fi
    if ! mount --move "/dev/$sub" "$new/$sub"; then
      undo_dev "could not move /dev/$sub"
      return 1
    fi
    moved="$sub $moved"
  done
  # Mounted over Docker's tmpfs, not after unmounting it as balenalib's
  # entry.sh does (balena-io-library/base-images,
  # balena-base-images/*/entry.sh, mount_dev: `umount /dev || true`, then
  # `mount --move "$tmp_dir" /dev`). Unmounted first, a failed move would leave
  # the image's empty /dev with Docker's device nodes gone for good; mounted
  # over, the tmpfs stays underneath, hidden (a few KB), and a failed move
  # leaves it in place. balenalib mounts over it too whenever that umount
  # fails (a file open in it, a mount it does not move), as this script's
  # `umount /dev 2>/dev/null` always did: the redirection held /dev/null, in
  # that very tmpfs, open.
  if ! mount --move "$new" /dev; then
    undo_dev "could not move the devtmpfs to /dev"
    return 1
  fi
  rmdir "$new" || say "could not remove the empty $new"
  # Docker mounts devpts with newinstance: /dev/ptmx must open that instance's
  # ptmx. A bind mount, not balenalib's `ln -sf /dev/pts/ptmx /dev/ptmx`: the
  # devtmpfs is the host's, and a symlink there replaces the host's own
  # /dev/ptmx (opencontainers/runc#80); a bind mount stays in this container.
  # Kernels since 4.7 find the pts next to /dev/ptmx by themselves, so a
  # failure here is only reported.
  if mountpoint -q /dev/pts && [ -e /dev/pts/ptmx ]; then
    mount --bind /dev/pts/ptmx /dev/ptmx || say "could not bind /dev/pts/ptmx to /dev/ptmx; pseudo-terminals rely on the kernel finding /dev/pts"
  fi
}

# Moves back, latest first, what mount_dev moved into $new, removes the mount
# points it created there, then unmounts and removes $new.
undo_dev() {
  restored=1
  for sub in $moved; do
    if ! mount --move "$new/$sub" "/dev/$sub"; then
      say "could not move /dev/$sub back: it is still at $new/$sub"
      restored=0
    fi
  done
  for sub in $made; do
    mountpoint -q "$new/$sub" && continue
    if [ -d "$new/$sub" ]; then rmdir "$new/$sub"; else rm -f "$new/$sub"; fi || say "could not remove $sub from the devtmpfs"
  done
  if [ "$restored" -eq 0 ]; then
    say "$1, and /dev could not be put back as it was: the devtmpfs stays mounted at $new"
  elif ! umount "$new"; then
    say "$1: /dev left as it was, but the devtmpfs stays mounted at $new"
  else
    rmdir "$new" || say "could not remove the empty $new"
    say "$1: /dev left as it was"
  fi
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
