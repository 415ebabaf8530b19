import type { Env } from '../common/config/load.js';
import { createLogger } from '../common/log.js';
import { stamp } from '../device/agent.js';
import { detectHardware } from '../device/hardware/detect.js';
import { hostPaths } from '../device/hardware/paths.js';
import { SystemHealthProbe } from '../device/health/system-probe.js';
import { readGpioChips } from '../device/panel/gpio-chips.js';
import { sysfsNumber } from '../device/panel/gpio-numbers.js';
import { planPipeline } from '../device/pipeline/plan.js';
import { renderCore, renderDestination, renderSlate, renderSources } from '../device/pipeline/render.js';
import { configOrExit } from './config-or-exit.js';
import { healthLine } from './probe-health.js';

/** `roomcast probe`: what the box sees and what it would run. The launch line holds no stream key. */
export async function runProbe(env: Env, json: boolean): Promise<void> {
  const { config } = configOrExit(env);
  const paths = hostPaths(env);
  const hw = await detectHardware(paths);
  // One sample of the same probe the fleet gets; a measure it cannot take is logged to stderr and left out.
  const health = await new SystemHealthProbe({ paths, dirs: { dataDir: config.dataDir, recordDir: config.recordDir }, log: createLogger('probe.health', process.stderr) }).sample();
  const planned = planPipeline(config, hw, { sessionStamp: stamp(new Date()) });
  const pipeline = planned.ok ? renderCore(planned.plan).launch : null;
  const sources = planned.ok ? renderSources(planned.plan).map((s) => s.launch) : [];
  const slate = planned.ok ? renderSlate(planned.plan) : null;
  // A relay's description is the same for every destination but for its URL, which it does not hold.
  const first = planned.ok ? planned.plan.destinations[0] : undefined;
  const relay = first ? renderDestination(first, 0).launch : null;
  const gpio = await gpioReport(paths.sys, { button: config.gpioButton, light: config.gpioLed });
  if (json) {
    const report = { board: hw.board, health, gpio, cameras: hw.cameras, microphones: hw.microphones, elements: [...hw.elements].sort(), hardwareEncoder: hw.hardwareEncoder, plan: planned.ok ? { choices: planned.plan.choices, destinations: planned.plan.destinations.map((d) => ({ id: d.id, url: d.display })) } : null, errors: planned.ok ? [] : planned.errors, pipeline, sources, slate, relay };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const lines: string[] = [];
  lines.push(`Board:        ${hw.board.model ?? 'not a Raspberry Pi'}`);
  lines.push(`Health:       ${healthLine(health)}`);
  lines.push('Cameras:');
  if (hw.cameras.length === 0) lines.push('  (none)');
  for (const c of hw.cameras) lines.push(`  ${c.device}  ${c.kind}  "${c.name}"  driver ${c.driver}  formats ${c.formats.join(', ') || 'unknown'}${c.autofocus ? '  autofocus' : ''}`);
  lines.push('Microphones:');
  if (hw.microphones.length === 0) lines.push('  (none)');
  for (const m of hw.microphones) lines.push(`  ${m.device}  "${m.name}"${m.usb ? '  USB' : ''}${m.webcam ? "  the webcam's microphone" : ''}`);
  lines.push(`GPIO:         ${gpio.length === 0 ? 'no button or light set (ROOMCAST_GPIO_BUTTON, ROOMCAST_GPIO_LED)' : gpio.map((g) => `${g.what} on GPIO ${g.bcm}: ${g.sysfs === null ? g.error : `sysfs ${g.sysfs}`}`).join('; ')}`);
  lines.push(`Encoders:     ${[hw.hardwareEncoder && hw.elements.has('v4l2h264enc') ? 'hardware (v4l2h264enc)' : null, hw.elements.has('x264enc') ? 'x264' : null].filter(Boolean).join(', ') || 'none'}`);
  if (planned.ok) {
    lines.push('Choices:');
    for (const c of planned.plan.choices) lines.push(`  ${c}`);
    lines.push('Destinations:');
    if (planned.plan.destinations.length === 0) lines.push('  (none)');
    for (const d of planned.plan.destinations) lines.push(`  ${d.id}: ${d.display}`);
    lines.push(`Recording:    ${planned.plan.recorder ? `${planned.plan.recorder.dir} (${planned.plan.recorder.segmentSeconds} s MPEG-TS segments)` : 'off'}`);
    lines.push('Sources (each rebuilt alone when it fails):');
    for (const source of sources) lines.push(`  ${source}`);
    if (slate) {
      lines.push('Slate (sent while the camera is lost):');
      lines.push(`  ${slate}`);
    }
    lines.push('Pipeline (encode once, record, serve the destinations):');
    lines.push(`  ${pipeline ?? ''}`);
    if (relay) {
      lines.push('Relay (one process per destination; port chosen at start):');
      lines.push(`  ${relay}`);
    }
  } else {
    lines.push('This configuration cannot go live:');
    for (const e of planned.errors) lines.push(`  - ${e}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (!planned.ok) process.exitCode = 3;
}

/** Each configured pin with its kernel number, or why there is none. */
async function gpioReport(sys: string, pins: { button: number | null; light: number | null }): Promise<{ what: string; bcm: number; sysfs: number | null; error?: string }[]> {
  const chips = await readGpioChips(sys);
  return (['button', 'light'] as const).flatMap((what) => {
    const bcm = pins[what];
    if (bcm === null) return [];
    const n = sysfsNumber(bcm, chips);
    return [n.ok ? { what, bcm, sysfs: n.number } : { what, bcm, sysfs: null, error: n.error }];
  });
}
