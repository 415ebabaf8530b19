import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.js';
import { useTempDir } from '../helpers/fixture.js';
import { boxEnv, sleep } from '../helpers/env.js';

interface Audio {
  peakDb: number[];
  rmsDb: number[];
  silent: boolean;
}

describe('audio meters on a real pipeline', () => {
  const tmp = useTempDir('roomcast-meters-');

  test('a tone at 5% volume reads -26 dBFS peak, -29 dBFS RMS on both channels; a silent track is flagged after 10 s', async () => {
    const tone = AgentProcess.start(boxEnv(join(tmp.dir, 'tone'), { ROOMCAST_RECORD_DIR: join(tmp.dir, 'tone/rec'), ROOMCAST_VIDEO_SIZE: '320x240' }), {});
    const silent = AgentProcess.start(boxEnv(join(tmp.dir, 'silent'), { ROOMCAST_RECORD_DIR: join(tmp.dir, 'silent/rec'), ROOMCAST_VIDEO_SIZE: '320x240', ROOMCAST_AUDIO_SOURCE: 'none' }));
    try {
      await Promise.all([tone.waitForPhase('live'), silent.waitForPhase('live')]);
      const flagged = await silent.waitFor((l) => l.msg === 'audio silent', 14_000, 'silence flagged');
      assert.equal(flagged['source'], 'none');
      await sleep(500);
      const states = tone.lines().filter((l) => l.msg === 'state');
      const audio = (states[states.length - 1]?.['state'] as { audio: Audio } | undefined)?.audio;
      assert.ok(audio, 'a state line');
      assert.equal(audio.peakDb.length, 2);
      // audiotestsrc volume 0.05: a sine peaking at 20*log10(0.05) = -26.0 dBFS, RMS 3 dB lower.
      for (const p of audio.peakDb) assert.ok(Math.abs(p + 26.02) < 0.5, `peak ${p}`);
      for (const r of audio.rmsDb) assert.ok(Math.abs(r + 29.03) < 0.5, `rms ${r}`);
      assert.equal(audio.silent, false);
      assert.ok(!tone.lines().some((l) => l.msg === 'audio silent'));
    } finally {
      await Promise.all([tone.proc.stop(), silent.proc.stop()]);
    }
  });
});
