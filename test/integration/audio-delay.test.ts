import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { leadingSilenceSeconds } from '../../testbed/ffprobe.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { useTempDir } from '../helpers/fixture.js';
import { boxEnv, sleep } from '../helpers/env.js';

/** Records a few seconds of the test tone and returns the first segment. */
async function recordWithDelay(dir: string, delayMs: number): Promise<string> {
  const recordings = join(dir, `delay-${delayMs}`);
  const agent = AgentProcess.start(boxEnv(join(dir, `box-${delayMs}`), { ROOMCAST_RECORD_DIR: recordings, ROOMCAST_AUDIO_DELAY_MS: String(delayMs), ROOMCAST_VIDEO_SIZE: '320x240' }));
  try {
    await agent.waitForPhase('live');
    await sleep(3000);
  } finally {
    await agent.proc.stop();
  }
  const first = (await readdir(recordings)).filter((f) => f.endsWith('.ts')).sort()[0];
  assert.ok(first, 'a segment was recorded');
  return join(recordings, first);
}

describe('ROOMCAST_AUDIO_DELAY_MS shifts the audio against the video', () => {
  const tmp = useTempDir('roomcast-delay-');

  // The sources start once the core plays, so even without a delay the first
  // ~0.1 s of a recording is silence (and black): the delay adds to that.
  test('with 400 ms the tone starts 400 ms later in the recording than with 0', async () => {
    const delayed = await leadingSilenceSeconds(await recordWithDelay(tmp.dir, 400));
    const immediate = await leadingSilenceSeconds(await recordWithDelay(tmp.dir, 0));
    assert.ok(immediate < 0.2, `no delay: ${immediate} s of leading silence`);
    assert.ok(Math.abs(delayed - immediate - 0.4) < 0.05, `400 ms delay: ${delayed} s of leading silence, against ${immediate} s`);
  });
});
