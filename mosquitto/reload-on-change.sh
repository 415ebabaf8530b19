#!/bin/sh
# The Mosquitto container's ENTRYPOINT (docker-compose.fleet.yml, profile
# mosquitto). The fleet service rewrites the password and ACL files at every
# enrolment and revocation; across containers it cannot signal Mosquitto by
# pid (separate pid namespaces), so this reloads Mosquitto (SIGHUP) itself
# within 2 s of a change, which drops a revoked box (docs/mosquitto.md).
set -u
dir=${ROOMCAST_FLEET_MOSQUITTO_DIR:?the directory the fleet writes passwords and acl into}

# Mosquitto will not start without its password file: the fleet writes it at its start.
while [ ! -f "$dir/passwords" ]; do
  echo "reload-on-change: waiting for the fleet to write $dir/passwords" >&2
  sleep 2
done

"$@" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null' TERM INT

files() { cat "$dir/passwords" "$dir/acl" 2>/dev/null | cksum; }
last=$(files)
while kill -0 "$broker" 2>/dev/null; do
  sleep 2 &
  wait $! || true
  now=$(files)
  if [ "$now" != "$last" ]; then
    last=$now
    kill -HUP "$broker" 2>/dev/null || true
  fi
done
wait "$broker"
