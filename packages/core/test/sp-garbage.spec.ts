/**
 * What an SP socket does with peers that break the wire rules: each such connection is closed and
 * counted, one log line per burst, and the socket keeps serving well-behaved peers.
 */
import fc from 'fast-check';
import { SpRepSocket, SpReqSocket, SpRespondentSocket } from '../src';
import { encodeFrame } from '../src/transport/sp/sp-frame';
import { encodeSpHeader } from '../src/transport/sp/sp-handshake';
import { RecordingLogger } from './helpers';
import { portOf, RawPeer } from './sp-tools';

const echo = { handler: (r: { body: Buffer }) => r.body };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function rep(options: ConstructorParameters<typeof SpRepSocket>[0] = {}): Promise<{ rep: SpRepSocket; port: number; url: string; logger: RecordingLogger }> {
  const logger = new RecordingLogger();
  const s = new SpRepSocket({ logger, ...echo, ...options });
  closers.push(() => s.close());
  const { url } = await s.listen('tcp://127.0.0.1:0');
  return { rep: s, port: portOf(url), url, logger };
}

function peer(port: number): RawPeer {
  const p = new RawPeer(port);
  closers.push(() => p.close());
  return p;
}

/** A well-behaved REQ against `url` still gets answers. */
async function stillServes(url: string): Promise<void> {
  const req = new SpReqSocket({ logger: new RecordingLogger() });
  closers.push(() => req.close());
  req.dial(url);
  expect(String(await req.request(Buffer.from('still here'), { timeout: 5_000 }))).toBe('still here');
}

describe('SP garbage handling', () => {
  it('sends its own header at once and closes a peer whose header is not SP', async () => {
    const { rep: s, port, url, logger } = await rep();
    const p = peer(port);
    expect([...(await p.receive(8)).subarray(0, 8)]).toEqual([0, 0x53, 0x50, 0, 0, 0x31, 0, 0]);
    p.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await p.whenClosed();
    expect(s.stats().faults['bad-header']).toBe(1);
    expect(logger.warnings()).toHaveLength(1);
    await stillServes(url);
  });

  it('closes a peer of the wrong protocol (a SURVEYOR talking to a REP)', async () => {
    const { rep: s, port } = await rep();
    const p = peer(port);
    p.write(encodeSpHeader('surveyor'));
    await p.whenClosed();
    expect(s.stats().faults['wrong-protocol']).toBe(1);
    expect(s.stats().pipesOpened).toBe(0);
  });

  it('counts a REQ dialing a RESPONDENT as wrong-protocol on both sides and keeps retrying', async () => {
    const logger = new RecordingLogger();
    const respondent = new SpRespondentSocket({ logger });
    closers.push(() => respondent.close());
    const { url } = await respondent.listen('tcp://127.0.0.1:0');
    const req = new SpReqSocket({ logger, reconnectMin: 10, reconnectMax: 20 });
    closers.push(() => req.close());
    req.dial(url);
    await expect(req.request(Buffer.from('x'), { timeout: 300 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(req.stats().faults['wrong-protocol']).toBeGreaterThan(1);
    expect(respondent.stats().faults['wrong-protocol']).toBeGreaterThan(1);
    // A burst of refusals is one log line per socket, not one per connection.
    expect(logger.warnings()).toHaveLength(2);
  });

  it('closes a peer that announces a message over maxMessageSize, before receiving its body', async () => {
    const { rep: s, port, url } = await rep({ maxMessageSize: 1024 });
    const p = peer(port);
    p.write(Buffer.concat([encodeSpHeader('req'), Buffer.from([0, 0, 0, 0, 0, 0, 4, 1])]));
    await p.whenClosed();
    expect(s.stats().faults.oversized).toBe(1);
    await stillServes(url);
  });

  it('answers a message of exactly maxMessageSize', async () => {
    const { port } = await rep({ maxMessageSize: 1024 });
    const p = peer(port);
    const body = Buffer.alloc(1020, 7);
    p.write(Buffer.concat([encodeSpHeader('req'), encodeFrame('tcp', [Buffer.from([0x80, 0, 0, 1]), body])]));
    const got = await p.receive(8 + 8 + 1024);
    expect(got.subarray(16, 20)).toEqual(Buffer.from([0x80, 0, 0, 1]));
    expect(got.subarray(20).equals(body)).toBe(true);
  });

  it('closes a peer that does not complete the header within handshakeTimeout', async () => {
    const { rep: s, port, logger } = await rep({ handshakeTimeout: 50 });
    const p = peer(port);
    p.write(Buffer.from([0, 0x53]));
    await p.whenClosed();
    expect(s.stats().faults['handshake-timeout']).toBe(1);
    expect(logger.warnings()).toHaveLength(1);
  });

  it('drops (and counts) a request without a backtrace end, keeping the connection', async () => {
    const { rep: s, port } = await rep();
    const p = peer(port);
    p.write(Buffer.concat([encodeSpHeader('req'), encodeFrame('tcp', [Buffer.from([0, 0, 0, 1, 0x61])]), encodeFrame('tcp', [Buffer.from([0x80, 0, 0, 2, 0x62])])]));
    const got = await p.receive(8 + 8 + 5);
    expect(got.subarray(16)).toEqual(Buffer.from([0x80, 0, 0, 2, 0x62]));
    expect(s.stats().faults.malformed).toBe(1);
    expect(p.closed).toBe(false);
  });

  it('logs one line for a burst of garbage connections, and counts every one', async () => {
    const { rep: s, port, url, logger } = await rep();
    const peers = Array.from({ length: 20 }, () => peer(port));
    for (const p of peers) p.write(Buffer.from('\x00SQ\x00garbage!'));
    await Promise.all(peers.map((p) => p.whenClosed()));
    expect(s.stats().faults['bad-header']).toBe(20);
    expect(logger.warnings()).toHaveLength(1);
    await stillServes(url);
  });

  it('refuses connections beyond maxPipes', async () => {
    const { rep: s, port } = await rep({ maxPipes: 1 });
    const first = peer(port);
    await first.receive(8);
    const second = peer(port);
    await second.whenClosed();
    expect(s.stats().faults['pipe-limit']).toBe(1);
    expect(first.closed).toBe(false);
  });

  it('decodes a request that arrives one byte per write', async () => {
    const { port } = await rep();
    const p = peer(port);
    const bytes = Buffer.concat([encodeSpHeader('req'), encodeFrame('tcp', [Buffer.from([0x80, 0, 0, 3]), Buffer.from('slow')])]);
    for (const b of bytes) {
      p.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const got = await p.receive(8 + 8 + 8);
    expect(String(got.subarray(20))).toBe('slow');
  });

  it('survives random bytes after a valid header and keeps serving', async () => {
    const { port, url } = await rep({ maxMessageSize: 4096 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (junk) => {
        const p = new RawPeer(port);
        p.write(Buffer.concat([encodeSpHeader('req'), Buffer.from(junk)]));
        await p.receive(8);
        await new Promise((r) => setTimeout(r, 2));
        await p.close();
      }),
      { numRuns: 25 },
    );
    await stillServes(url);
  });
});
