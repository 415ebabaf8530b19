/**
 * The public watch page, /watch/<deviceId>: a plain page with hls.js, served
 * by the fleet service itself (no CDN), no login. It says in words whether the
 * talk is live, ended (and then plays the whole talk), or not started, and
 * that nothing needs installing: the first IPFS livestream's viewers could
 * not tell that a plain browser was enough (FIELD.md).
 */

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function watchPage(deviceId: string): string {
  const id = escapeHtml(deviceId);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Watch ${id}</title>
<style>
body { margin: 0; font-family: system-ui, sans-serif; background: #111827; color: #f9fafb; }
main { max-width: 960px; margin: 0 auto; padding: 1rem; }
video { width: 100%; background: #000; aspect-ratio: 16 / 9; }
#status { font-size: 1.25rem; margin: 0.75rem 0; }
#status[data-state="live"]::before { content: "\\25CF  "; color: #ef4444; }
p.hint { color: #9ca3af; }
</style>
</head>
<body>
<main data-device="${id}">
<h1>${id}</h1>
<p id="status" data-state="loading" role="status" aria-live="polite">Checking whether the stream is on…</p>
<video id="video" controls muted playsinline></video>
<p class="hint">Plays in any up-to-date browser (Firefox, Chrome, Edge, Safari, on a computer or a phone): nothing to install. Press play if it does not start by itself; sound starts muted.</p>
</main>
<script src="/watch/hls.js"></script>
<script src="/watch/player.js"></script>
</body>
</html>
`;
}

/**
 * The player. It polls the status every 2 s: when the talk goes live it
 * loads the live playlist, close to its edge (goal: under 8 s behind the
 * camera with 2 s segments); when it ends it switches to the whole talk's
 * VOD. Its state is on window.roomcastPlayer for tests and the benchmark.
 */
export const PLAYER_JS = `(function () {
  'use strict';
  var id = document.querySelector('main').dataset.device;
  var base = '/live/' + encodeURIComponent(id) + '/';
  var video = document.getElementById('video');
  var statusEl = document.getElementById('status');
  var state = { state: 'loading', source: null, errors: 0 };
  window.roomcastPlayer = state;
  var hls = null;
  var WORDS = {
    live: 'Live now.',
    ended: 'The talk has ended. You are watching the recording.',
    'not-started': 'Not started yet. This page starts playing by itself when the stream begins.'
  };
  function resolve(p) { return /^https?:/.test(p) ? p : base + p; }
  function play(src, live) {
    if (state.source === src) return;
    state.source = src;
    if (hls) { hls.destroy(); hls = null; }
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls(live ? { liveSyncDuration: 3, liveMaxLatencyDuration: 8, maxLiveSyncPlaybackRate: 1.1, backBufferLength: 30 } : {});
      hls.on(window.Hls.Events.ERROR, function (_e, data) { state.errors++; if (data.fatal && hls) { if (data.type === 'networkError') hls.startLoad(); else hls.recoverMediaError(); } });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = src;
    }
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }
  function show(s) {
    state.state = s.state;
    statusEl.dataset.state = s.state;
    statusEl.textContent = WORDS[s.state] || s.state;
    if (s.playlist && s.state !== 'not-started') play(resolve(s.playlist), s.state === 'live');
  }
  function poll() {
    fetch(base + 'status', { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () { statusEl.textContent = 'Cannot reach the server; trying again…'; })
      .then(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
`;
