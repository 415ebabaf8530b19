#!/usr/bin/env bash
# Installs everything roomcast needs on Debian 12 (bookworm) with Node.js 20,
# as root: GStreamer 1.22 and its plugins, the headers gstreamer-superficial
# compiles against, the local test ingest (nginx + libnginx-mod-rtmp, stunnel4),
# ffmpeg/ffprobe and chromium (the dashboard's browser tests); then the npm
# dependencies (npm ci) and the build.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-x
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-alsa
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev pkg-config g++ make python3
  glib-networking ca-certificates openssl fonts-dejavu-core
  nginx-light libnginx-mod-rtmp stunnel4 ffmpeg chromium
  mosquitto mosquitto-clients postgresql
  iproute2 nftables
  v4l-utils alsa-utils util-linux mount
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "roomcast setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "roomcast setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "roomcast setup: Node.js 20 or newer is needed (found $(node --version))" >&2
  exit 1
fi

# package.json's allowScripts lets npm build gstreamer-superficial's native addon.
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
