# The box agent (`roomcast device`), for balena on a Raspberry Pi 3, 4, 5 or
# Zero 2 W (arm64, or armv7 on a 32-bit OS). Built by balena's builders; there
# is no Docker engine in this repository's CI, so tests check this file's
# COPY sources and run its CMD on the CI machine instead (docs/packaging.md).

# ---- build: native modules (gstreamer-superficial, better-sqlite3) and TypeScript
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev pkg-config g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY cli cli
COPY common common
COPY device device
COPY fleet fleet
COPY testbed testbed
COPY sim sim
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

# ---- run: Debian's GStreamer 1.22 with the plugins the pipelines use. From
# Raspberry Pi's archive: libcamera and gstreamer1.0-libcamera (Debian's 0.0.3
# predates the Pi 5 and its cameras), rpicam-apps-lite (rpicam-still, for idle
# stills) and raspi-utils (vcgencmd, the health probe's fallback), which Debian
# lacks. container/raspberrypi.pref keeps every other GStreamer package Debian's.
FROM node:20-bookworm-slim
ADD https://archive.raspberrypi.com/debian/raspberrypi.gpg.key /usr/share/keyrings/raspberrypi-archive.asc
COPY container/raspberrypi.pref /etc/apt/preferences.d/raspberrypi.pref
RUN chmod 644 /usr/share/keyrings/raspberrypi-archive.asc /etc/apt/preferences.d/raspberrypi.pref \
 && echo "deb [signed-by=/usr/share/keyrings/raspberrypi-archive.asc] http://archive.raspberrypi.com/debian bookworm main" > /etc/apt/sources.list.d/raspberrypi.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
      gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-alsa gstreamer1.0-x \
      libcamera-ipa gstreamer1.0-libcamera rpicam-apps-lite raspi-utils \
      glib-networking ca-certificates fonts-dejavu-core v4l-utils alsa-utils udev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# UDEV=on is honoured by this entrypoint (balenalib images have their own; this is node's slim image).
COPY container/udev-entry.sh /usr/local/bin/udev-entry.sh
ENV NODE_ENV=production ROOMCAST_DATA_DIR=/data UDEV=on
# root: the agent opens /dev/video*, /dev/snd/*, the GPIO sysfs files and
# /tmp/balena/updates.lock, which balenaOS gives to root only (privileged).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "dist/cli/main.js", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/udev-entry.sh"]
CMD ["node", "dist/cli/main.js", "device"]
