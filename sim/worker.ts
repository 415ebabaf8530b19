import { parseDeviceId } from '../common/protocol.js';
import type { FromWorker, ToWorker, WorkerStats } from './messages.js';
import { VirtualBox, type VirtualBoxEvents } from './virtual-box.js';

/**
 * A worker process of the fleet simulator: runs its share of the virtual
 * boxes (many MQTT.js clients in one process), outside the fleet service's
 * process so that the fleet's CPU is measured alone. Driven over IPC.
 */

const MAX_ERRORS_KEPT = 5;
const boxes: VirtualBox[] = [];
let errors = 0;
const firstErrors: string[] = [];
let starter: NodeJS.Timeout | null = null;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

const events: VirtualBoxEvents = {
  connected: (id) => send({ type: 'connected', id }),
  desiredSeen: (id, version, at) => send({ type: 'desiredSeen', id, version, at }),
  applied: (id, version, at) => send({ type: 'applied', id, version, at }),
  error: (id, what) => {
    errors += 1;
    if (firstErrors.length < MAX_ERRORS_KEPT) firstErrors.push(`${id}: ${what}`);
  },
};

function stats(): WorkerStats {
  const sum = { healthSent: 0, commandsAnswered: 0, publishErrors: 0, disconnects: 0 };
  for (const b of boxes) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += b.counters[k];
  return { ...sum, boxes: boxes.length, connected: boxes.filter((b) => b.connected).length, errors, firstErrors };
}

function start(msg: Extract<ToWorker, { type: 'start' }>): void {
  // Connects are spread at the given pace: a whole fleet connecting in one instant is a storm no real fleet makes.
  const queue = [...msg.boxes];
  const perTick = Math.max(1, Math.round(msg.connectsPerSecond / 20));
  starter = setInterval(() => {
    for (const creds of queue.splice(0, perTick)) {
      const id = parseDeviceId(creds.deviceId);
      if (id === null) throw new Error(`enrolment gave an invalid device id: ${creds.deviceId}`);
      const box = new VirtualBox(id, creds, msg.healthSeconds, events);
      boxes.push(box);
      box.start();
    }
    if (queue.length === 0 && starter) clearInterval(starter);
  }, 50);
}

async function stop(): Promise<void> {
  if (starter) clearInterval(starter);
  await Promise.all(boxes.map((b) => b.stop()));
  send({ type: 'stopped' });
  process.disconnect?.();
}

process.on('message', (raw) => {
  const msg = raw as ToWorker;
  switch (msg.type) {
    case 'start':
      return start(msg);
    case 'stats':
      return send({ type: 'stats', stats: stats() });
    case 'stop':
      return void stop();
  }
});
// The simulator is gone: nothing left to do for.
process.on('disconnect', () => process.exit(0));
