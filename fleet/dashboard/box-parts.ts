import { h } from './dom.js';
import { ago, bytes, connectionLabel, destinationLine, liveState } from './format.js';
import type { Device } from './types.js';

/** The pieces a box is shown with, on its card and on its own page. */

export function liveBadge(d: Device): HTMLElement {
  const s = liveState(d);
  return h('div', { class: `live-badge tone-${s.tone}`, role: 'status', 'data-testid': 'live-state' }, h('span', { class: 'live-word' }, s.label), h('span', { class: 'live-detail' }, s.detail));
}

export function connectionPill(d: Device, now: number): HTMLElement {
  const label = connectionLabel(d);
  const seen = d.online ? '' : ` · seen ${ago(d.lastSeen, now)}`;
  return h('span', { class: `pill conn-${d.online ? 'online' : 'away'}` }, `${label}${seen}`);
}

export function attentionList(d: Device): HTMLElement | null {
  if (d.attention.length === 0) return null;
  return h(
    'ul',
    { class: 'attention', 'aria-label': 'Needs attention', 'data-testid': 'attention' },
    ...d.attention.map((a) => h('li', { class: `attn attn-${a.severity}` }, h('strong', {}, a.severity === 'critical' ? 'Act now: ' : 'Check: '), a.message)),
  );
}

export function destinationList(d: Device): HTMLElement {
  if (d.destinations.length === 0) return h('p', { class: 'muted' }, 'No destination set: the box records only (if recording is on).');
  return h(
    'ul',
    { class: 'destinations', 'aria-label': 'Destinations' },
    ...d.destinations.map((dest) => {
      const line = destinationLine(dest);
      return h('li', { class: `dest tone-${line.tone}` }, h('span', { class: 'dest-name' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'dest-label' }, line.label)), h('span', { class: 'dest-detail' }, line.detail));
    }),
  );
}

/** Temperature, power and throttling, recording and free space: one line each, warnings marked. */
export function boxFacts(d: Device): HTMLElement {
  const health = d.health;
  const facts: [string, string, boolean][] = [];
  if (health?.tempC !== undefined) facts.push(['Temperature', `${Math.round(health.tempC)} °C`, health.tempC >= 75]);
  if (health?.underVoltageNow) facts.push(['Power', 'under-voltage', true]);
  else if (health?.underVoltageOccurred) facts.push(['Power', 'dipped since start (under-voltage)', true]);
  if (health?.throttledNow || health?.freqCappedNow || health?.softTempLimitNow) facts.push(['Speed', 'throttled', true]);
  const rec = d.stream?.recording;
  if (rec) {
    const free = rec.freeBytes ?? health?.recordFreeBytes ?? null;
    const state = rec.stopped ? `stopped: ${rec.stopped}` : rec.enabled ? (d.state === 'live' ? 'recording' : 'on (records when live)') : 'off';
    facts.push(['Recording', `${state}${rec.enabled && free !== null ? ` · ${bytes(free)} free` : ''}`, rec.stopped !== null]);
  }
  if (health?.wifiSignalDbm !== undefined) facts.push(['Wi-Fi', `${health.wifiSignalDbm} dBm`, health.wifiSignalDbm < -75]);
  if (d.updateWaiting) facts.push(['Update', 'waiting for the talk to end', false]);
  // The last talk's recording on IPFS: its CID (pinned by the fleet), played on the watch page until the next talk starts.
  const vod = d.ipfs?.stream ? null : (d.ipfs?.vodCid ?? null);
  const watch =
    d.ipfs || d.destinations.some((x) => x.platform === 'ipfs')
      ? h(
          'p',
          { class: 'small' },
          h('a', { href: `/watch/${encodeURIComponent(d.id)}`, target: '_blank', rel: 'noopener' }, vod ? 'Watch the last talk (any browser, no login)' : 'Watch page (any browser, no login)'),
          vod && ' · IPFS CID ',
          vod && h('code', { title: vod, 'data-testid': 'vod-cid' }, `${vod.slice(0, 10)}…${vod.slice(-6)}`),
        )
      : null;
  return h('div', {}, h('dl', { class: 'facts' }, ...facts.flatMap(([k, v, warn]) => [h('dt', {}, k), h('dd', { class: warn ? 'warn' : '' }, v)])), watch);
}

export function snapshotImage(picture: { src: string; at: number } | undefined, d: Device, now: number, unavailable = false): HTMLElement {
  if (!picture && unavailable) return h('p', { class: 'muted small' }, 'This box does not send pictures.');
  if (!picture) return h('div', { class: 'snapshot empty' }, h('span', {}, d.state === 'live' ? 'No picture yet' : 'A picture is shown while live'));
  return h('figure', { class: 'snapshot' }, h('img', { src: picture.src, alt: `What the camera in ${d.name} sees` }), h('figcaption', {}, `Picture from ${ago(new Date(picture.at).toISOString(), now)}`));
}
