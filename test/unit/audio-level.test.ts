import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDbList } from '../../device/pipeline/gst-structure.js';
import { applyAudioLevel, CLIP_HOLD_MS, SILENCE_FLAG_MS, type AudioState } from '../../device/state.js';

const START: AudioState = { source: 'microphone', peakDb: [], rmsDb: [], quietSince: null, silent: false, clipping: false, lastClipAt: null, failed: false, failReason: null };
const at = (ms: number): Date => new Date(Date.UTC(2026, 10, 22, 14, 0, 0) + ms);

describe('the level element\'s readings', () => {
  it('parse from their serialised form, silence as -100 dBFS', () => {
    assert.deepEqual(parseDbList('< -29.034548, -29.034548 >'), [-29.034548, -29.034548]);
    assert.deepEqual(parseDbList('< -inf, -inf >'), [-100, -100]);
    assert.deepEqual(parseDbList('< -350.5 >'), [-100]);
    assert.deepEqual(parseDbList(undefined), []);
    assert.deepEqual(parseDbList('< nonsense >'), []);
  });
});

describe('audio state', () => {
  it('keeps the latest peak and RMS per channel', () => {
    const a = applyAudioLevel(START, { peakDb: [-6, -7], rmsDb: [-20, -21] }, at(0));
    assert.deepEqual([a.peakDb, a.rmsDb, a.silent, a.clipping], [[-6, -7], [-20, -21], false, false]);
  });

  it('flags silence only after 10 s of quiet on every channel, and clears it at the first sound', () => {
    let a = START;
    for (let ms = 0; ms < SILENCE_FLAG_MS; ms += 250) a = applyAudioLevel(a, { peakDb: [-90, -90], rmsDb: [-95, -95] }, at(ms));
    assert.equal(a.silent, false, 'not yet at 9.75 s');
    a = applyAudioLevel(a, { peakDb: [-90, -90], rmsDb: [-95, -95] }, at(SILENCE_FLAG_MS));
    assert.equal(a.silent, true);
    assert.equal(a.quietSince, at(0).toISOString());
    a = applyAudioLevel(a, { peakDb: [-10, -90], rmsDb: [-30, -95] }, at(SILENCE_FLAG_MS + 250));
    assert.equal(a.silent, false, 'one channel with sound is not silence');
    assert.equal(a.quietSince, null);
  });

  it('flags clipping at a full-scale peak and holds the flag for a few seconds', () => {
    let a = applyAudioLevel(START, { peakDb: [-0.05, -3], rmsDb: [-6, -9] }, at(0));
    assert.equal(a.clipping, true);
    a = applyAudioLevel(a, { peakDb: [-6, -6], rmsDb: [-12, -12] }, at(CLIP_HOLD_MS - 250));
    assert.equal(a.clipping, true);
    a = applyAudioLevel(a, { peakDb: [-6, -6], rmsDb: [-12, -12] }, at(CLIP_HOLD_MS));
    assert.equal(a.clipping, false);
  });
});
