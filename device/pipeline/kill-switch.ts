import { Worker } from 'node:worker_threads';

/**
 * Kills this process after `ms`, even when its main thread is stuck in a
 * native call (a GStreamer state change blocked on a dead socket): the timer
 * runs on a thread of its own. A host whose agent is gone (SIGKILLed, so no
 * one will kill the host's group) must not linger holding a camera.
 */
export function armKillSwitch(ms: number): void {
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
     process.kill(workerData.pid, 'SIGKILL');`,
    { eval: true, workerData: { ms, pid: process.pid } },
  );
  worker.unref();
}
