import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeStreams } from '../../testbed/ffprobe.js';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { TlsTerminator } from '../../testbed/tls-terminator.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';

/**
 * RTMPS as Facebook serves it: TLS in front of RTMP. The box trusts the
 * certificate through the system CA bundle, as it trusts a platform's; the
 * test's CA is bind-mounted over that bundle in a private mount namespace.
 */
describe('RTMPS through a TLS terminator', () => {
  let dir: string;
  let ingest: NginxRtmp;
  let tls: TlsTerminator;
  const running: AgentProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-rtmps-'));
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
    tls = new TlsTerminator(dir, ingest.rtmpPort);
    await tls.start();
  });

  after(async () => {
    for (const a of running) await a.proc.stop();
    await tls?.stop();
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a box that trusts the certificate streams over TLS and the ingest receives it', async () => {
    const agent = AgentProcess.start(boxEnv(join(dir, 'ok'), { ROOMCAST_DESTINATIONS: `rtmps://localhost:${tls.tlsPort}/live/tls-stream-key-0042` }), { trustCa: tls.caFile });
    running.push(agent);
    await agent.waitForPhase('live');
    await sleep(4000);
    const exit = await agent.proc.stop();
    assert.equal(exit.code, 0);
    const files = await ingest.received();
    assert.equal(files.length, 1);
    const { streams, duration } = await probeStreams(files[0] ?? '');
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(duration > 3, `received ${duration} s`);
  });

  test('a certificate the box does not trust is refused, reported, and nothing reaches the ingest', async () => {
    const before = (await ingest.received()).length;
    const agent = AgentProcess.start(boxEnv(join(dir, 'untrusted'), { ROOMCAST_DESTINATIONS: `rtmps://localhost:${tls.tlsPort}/live/tls-stream-key-0043` }));
    running.push(agent);
    const retry = await agent.waitFor((l) => l.msg === 'destination retry', 20_000, 'a destination retry');
    assert.match(String(retry['reason']), /certificate|TLS|handshake/i);
    assert.ok(Number(retry['inMs']) <= 1000, 'the first retry comes within 1 s');
    await agent.proc.stop();
    assert.equal((await ingest.received()).length, before);
    assert.ok(!agent.proc.log.includes('tls-stream-key-0043'));
  });
});
