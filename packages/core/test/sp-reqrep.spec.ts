/** REQ and REP over real loopback connections: backtraces, concurrency, load balancing, resends, timeouts. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { SpRepSocket, SpReqSocket, type SpRequest, type SpSocket } from '../src';
import { encodeFrame } from '../src/transport/sp/sp-frame';
import { encodeSpHeader } from '../src/transport/sp/sp-handshake';
import { RecordingLogger } from './helpers';
import { portOf, RawPeer, SpToolbox } from './sp-tools';

const box = new SpToolbox();
const sockets: SpSocket[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await Promise.all(sockets.splice(0).map((s) => s.close()));
  await box.cleanup();
});

function track<T extends SpSocket>(s: T): T {
  sockets.push(s);
  return s;
}
const quiet = (): RecordingLogger => new RecordingLogger();

/** Polls `cond` on real I/O turns (works under fake timers too). */
async function until(cond: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}

async function echoRep(options: ConstructorParameters<typeof SpRepSocket>[0] = {}): Promise<{ rep: SpRepSocket; url: string }> {
  const rep = track(new SpRepSocket({ logger: quiet(), handler: (r) => r.body, ...options }));
  const { url } = await rep.listen('tcp://127.0.0.1:0');
  return { rep, url };
}

describe('REP backtraces', () => {
  it('strips the id stack up to the high-bit id and replies behind the same stack', async () => {
    const { url } = await echoRep({ handler: (r) => Buffer.concat([Buffer.from('<'), r.body, Buffer.from('>')]) });
    const p = new RawPeer(portOf(url));
    peers.push(p);
    const backtrace = Buffer.from([0, 0, 0, 5, 0, 0, 0, 9, 0x80, 0x12, 0x34, 0x56]);
    p.write(Buffer.concat([encodeSpHeader('req'), encodeFrame('tcp', [backtrace, Buffer.from('body')])]));
    const got = await p.receive(8 + 8 + 12 + 6);
    expect(got.readUInt32BE(12)).toBe(18);
    expect(got.subarray(16, 28)).toEqual(backtrace);
    expect(String(got.subarray(28))).toBe('<body>');
  });

  it('serves many requests of one pipe at once and replies in the order they finish', async () => {
    const held: SpRequest[] = [];
    const { rep, url } = await echoRep({ handler: (r) => void held.push(r) });
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(url);
    const order: string[] = [];
    const calls = ['a', 'b', 'c'].map((x) => req.request(Buffer.from(x)).then((b) => order.push(String(b))));
    await until(() => held.length === 3);
    expect(rep.stats().pending).toBe(3);
    for (const r of [...held].reverse()) r.reply(Buffer.from(`re-${String(r.body)}`));
    await Promise.all(calls);
    expect(order).toEqual(['re-c', 're-b', 're-a']);
    expect(held[0].reply(Buffer.from('twice'))).toBe(false);
    expect(rep.stats()).toMatchObject({ pending: 0, replies: 3 });
  });

  it('drops replies (send-buffer-full) to a requester that does not read, instead of buffering them', async () => {
    const { rep, url } = await echoRep({ maxWriteBuffer: 64 * 1024 });
    const greedy = connect({ host: '127.0.0.1', port: portOf(url) });
    greedy.on('error', () => undefined);
    greedy.pause();
    const body = Buffer.alloc(60_000);
    greedy.write(encodeSpHeader('req'));
    for (let i = 0; i < 300; i++) greedy.write(encodeFrame('tcp', [Buffer.from([0x80, 0, 0, i & 0xff]), body]));
    await until(() => rep.stats().received === 300, 1_000_000);
    expect(rep.stats().faults['send-buffer-full']).toBeGreaterThan(0);
    expect(rep.stats().replies + rep.stats().faults['send-buffer-full']).toBe(300);
    expect(rep.stats().pending).toBe(0);
    greedy.destroy();
  });

  it('counts a throwing handler, sends nothing and keeps serving', async () => {
    const { rep, url } = await echoRep({
      handler: (r) => {
        if (String(r.body) === 'boom') throw new Error('boom');
        return Promise.resolve(r.body);
      },
    });
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(url);
    await expect(req.request(Buffer.from('boom'), { timeout: 200 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(String(await req.request(Buffer.from('fine')))).toBe('fine');
    expect(rep.stats().faults['handler-error']).toBe(1);
    expect(rep.stats().pending).toBe(0);
  });

  it('a handler that returns something other than bytes frees its slot, counted; one that gives up calls drop(): neither holds maxPending', async () => {
    const { rep, url } = await echoRep({
      maxPending: 2,
      handler: (r) => {
        const body = String(r.body);
        if (body === 'string') return 'oops' as unknown as Uint8Array;
        if (body === 'later') return Promise.resolve(42 as unknown as Uint8Array);
        if (body === 'drop') {
          r.drop();
          return undefined;
        }
        return r.body;
      },
    });
    const req = track(new SpReqSocket({ logger: quiet(), resendInterval: 0 }));
    req.dial(url);
    for (const body of ['string', 'later', 'drop', 'string']) {
      await expect(req.request(Buffer.from(body), { timeout: 100 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    }
    // Four requests went unanswered with maxPending 2: the slots were freed, so this one is served.
    expect(String(await req.request(Buffer.from('fine'), { timeout: 5_000 }))).toBe('fine');
    expect(rep.stats()).toMatchObject({ pending: 0, faults: expect.objectContaining({ 'handler-error': 3, overflow: 0 }) });
  });
});

describe('REQ', () => {
  it('gives each concurrent request its own id and matches replies', async () => {
    const { url } = await echoRep({ handler: async (r) => { await new Promise((res) => setTimeout(res, Math.random() * 20)); return r.body; } });
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(url);
    const bodies = Array.from({ length: 200 }, (_, i) => `m${i}`);
    const replies = await Promise.all(bodies.map((b) => req.request(Buffer.from(b))));
    expect(replies.map(String)).toEqual(bodies);
    expect(req.stats()).toMatchObject({ requests: 200, replies: 200, outstanding: 0 });
  });

  it('load-balances round-robin over its pipes', async () => {
    const a = await echoRep();
    const b = await echoRep();
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(a.url);
    req.dial(b.url);
    await req.whenConnected(2, 5_000);
    await Promise.all(Array.from({ length: 10 }, () => req.request(Buffer.from('x'))));
    expect(a.rep.stats().received).toBe(5);
    expect(b.rep.stats().received).toBe(5);
  });

  it('holds requests until a pipe comes up (listening REQ)', async () => {
    const req = track(new SpReqSocket({ logger: quiet() }));
    const { url } = await req.listen('tcp://127.0.0.1:0');
    const pending = req.request(Buffer.from('early'));
    expect(req.stats().waiting).toBe(1);
    const rep = track(new SpRepSocket({ logger: quiet(), handler: (r) => r.body }));
    rep.dial(url);
    expect(String(await pending)).toBe('early');
  });

  it('resends what a lost pipe carried when it reconnects (ipc)', async () => {
    const path = box.ipcPath();
    const first = track(new SpRepSocket({ logger: quiet(), handler: () => undefined }));
    await first.listen(`ipc://${path}`);
    const req = track(new SpReqSocket({ logger: quiet(), reconnectMin: 10, reconnectMax: 50 }));
    req.dial(`ipc://${path}`);
    const pending = req.request(Buffer.from('again'));
    await until(() => first.stats().received === 1);
    await first.close();
    const second = track(new SpRepSocket({ logger: quiet(), handler: (r) => Buffer.concat([Buffer.from('2:'), r.body]) }));
    await second.listen(`ipc://${path}`);
    expect(String(await pending)).toBe('2:again');
    expect(req.stats().resends).toBe(1);
  });

  it('resends after resendInterval without a reply (NN_REQ_RESEND_IVL)', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance'] });
    let seen = 0;
    const { url } = await echoRep({ handler: (r) => (++seen === 1 ? undefined : r.body) });
    const req = track(new SpReqSocket({ logger: quiet(), resendInterval: 1_000, requestTimeout: 0 }));
    req.dial(url);
    const pending = req.request(Buffer.from('hello'));
    await until(() => seen === 1);
    jest.advanceTimersByTime(999);
    await new Promise((r) => setImmediate(r));
    expect(seen).toBe(1);
    jest.advanceTimersByTime(1);
    expect(String(await pending)).toBe('hello');
    expect(seen).toBe(2);
    expect(req.stats().resends).toBe(1);
  });

  it('believes a reply only from a connection its request was sent on: a peer guessing the next id (they are sequential) is counted, not heard', async () => {
    const req = track(new SpReqSocket({ logger: quiet(), resendInterval: 0 }));
    const { url } = await req.listen('tcp://127.0.0.1:0');
    const evil = new RawPeer(portOf(url));
    peers.push(evil);
    evil.write(encodeSpHeader('rep'));
    await until(() => req.stats().pipes === 1);
    const outcomes: string[] = [];
    const call = (body: string) => req.request(Buffer.from(body), { timeout: 5_000 }).then((b) => void outcomes.push(`${body}=${String(b)}`), () => undefined);
    void call('to-evil'); // the only pipe: the peer sees its id
    const seen = await evil.receive(8 + 8 + 4 + 7);
    const id = seen.readUInt32BE(16);
    const held: SpRequest[] = [];
    const honest = track(new SpRepSocket({ logger: quiet(), handler: (r) => void held.push(r) }));
    honest.dial(url);
    await until(() => req.stats().pipes === 2);
    for (let i = 0; i < 3 && held.length === 0; i++) {
      void call(`to-honest-${i}`);
      await until(() => held.length > 0 || evil.received.length > 8 + 27 * (i + 1), 2_000).catch(() => undefined);
    }
    expect(held).toHaveLength(1);
    // The next ids, answered by the peer that was not asked.
    for (let k = 1; k <= 5; k++) {
      const forged = Buffer.alloc(4);
      forged.writeUInt32BE((id + k) >>> 0);
      evil.write(encodeFrame('tcp', [forged, Buffer.from('FORGED')]));
    }
    await until(() => req.stats().faults['wrong-pipe'] >= 1);
    // The request the honest peer holds was not settled by the forged replies (those sent to the peer itself may be).
    const asked = String(held[0]!.body);
    expect(outcomes.filter((o) => o.startsWith(`${asked}=`))).toEqual([]);
    held[0]!.reply(Buffer.from('honest'));
    await until(() => outcomes.some((o) => o.startsWith(`${asked}=`)));
    expect(outcomes.filter((o) => o.startsWith(`${asked}=`))).toEqual([`${asked}=honest`]);
  });

  it('fails with NANITE_ERR_TIMEOUT and counts the reply that comes later as late', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance'] });
    const held: SpRequest[] = [];
    const { url } = await echoRep({ handler: (r) => void held.push(r) });
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(url);
    const pending = req.request(Buffer.from('slow'), { timeout: 500 });
    await until(() => held.length === 1);
    jest.advanceTimersByTime(500);
    await expect(pending).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    held[0].reply(Buffer.from('too late'));
    await until(() => req.stats().faults.late === 1);
    expect(req.stats()).toMatchObject({ timeouts: 1, outstanding: 0 });
  });

  it('holds requests back while the peer does not read (maxWriteBuffer) and sends them when it drains', async () => {
    const req = track(new SpReqSocket({ logger: quiet(), maxWriteBuffer: 64 * 1024 }));
    const { url } = await req.listen('tcp://127.0.0.1:0');
    let bytes = 0;
    const slow = connect({ host: '127.0.0.1', port: portOf(url) });
    slow.on('error', () => undefined);
    slow.write(encodeSpHeader('rep'));
    await req.whenConnected(1, 5_000);
    slow.pause();
    const body = Buffer.alloc(60_000);
    const calls = Array.from({ length: 300 }, () => req.request(body, { timeout: 0 }).catch(() => undefined));
    await until(() => req.stats().waiting > 0);
    expect(req.stats().waiting).toBeLessThan(300);
    slow.on('data', (c: Buffer) => (bytes += c.length));
    slow.resume();
    await until(() => req.stats().waiting === 0, 1_000_000);
    await until(() => bytes >= 8 + 300 * (8 + 4 + 60_000), 1_000_000);
    slow.destroy();
    await req.close();
    await Promise.all(calls);
  });

  it('cancels on abort, refuses beyond maxOutstanding, and rejects what is left on close', async () => {
    const req = track(new SpReqSocket({ logger: quiet(), maxOutstanding: 2 }));
    const ac = new AbortController();
    const aborted = req.request(Buffer.from('1'), { signal: ac.signal });
    const left = req.request(Buffer.from('2'));
    await expect(req.request(Buffer.from('3'))).rejects.toMatchObject({ code: 'NANITE_ERR_BUFFER_FULL' });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    await req.close();
    await expect(left).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
    await expect(req.request(Buffer.from('4'))).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
  });

  it('refuses bad arguments with NANITE_ERR_INVALID_ARGUMENT', async () => {
    const req = track(new SpReqSocket({ logger: quiet(), maxMessageSize: 64 }));
    await expect(req.request('text' as unknown as Buffer)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(req.request(Buffer.alloc(61))).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(req.request(Buffer.from('x'), { timeout: 2 ** 31 })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    // A signal that is not one used to be recorded as outstanding, then crash the process from its timeout timer.
    await expect(req.request(Buffer.from('x'), { timeout: 20, signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    expect(req.stats().outstanding).toBe(0);
    expect(() => req.dial('http://x')).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    expect(() => new SpReqSocket({ resendInterval: -1 })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });
});

describe('listening', () => {
  it('reports the bound port for port 0 and fails with NANITE_ERR_TRANSPORT on an address in use', async () => {
    const { url } = await echoRep();
    expect(url).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const other = track(new SpRepSocket({ logger: quiet() }));
    await expect(other.listen(url)).rejects.toMatchObject({ code: 'NANITE_ERR_TRANSPORT' });
  });

  it('replaces a stale ipc socket file nobody answers on, but never a regular file', async () => {
    const path = box.ipcPath();
    // A process killed while listening leaves its socket file behind.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(existsSync(path)).toBe(true);
    const rep = track(new SpRepSocket({ logger: quiet(), handler: (r) => r.body }));
    await rep.listen(`ipc://${path}`);
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(`ipc://${path}`);
    expect(String(await req.request(Buffer.from('fresh')))).toBe('fresh');

    const file = box.ipcPath();
    writeFileSync(file, 'data');
    await expect(track(new SpRepSocket({ logger: quiet() })).listen(`ipc://${file}`)).rejects.toMatchObject({ code: 'NANITE_ERR_TRANSPORT' });
    expect(readFileSync(file, 'utf8')).toBe('data');
  });

  it('redials with exponential backoff (reconnectMin doubling up to reconnectMax, ±20%)', async () => {
    const at: number[] = [];
    let fifth: () => void = () => undefined;
    const fiveAttempts = new Promise<void>((r) => (fifth = r));
    const refuser = createServer((c) => {
      if (at.push(Date.now()) === 5) fifth();
      c.destroy();
    });
    await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', r));
    const port = (refuser.address() as { port: number }).port;
    const req = track(new SpReqSocket({ logger: quiet(), reconnectMin: 50, reconnectMax: 200 }));
    req.dial(`tcp://127.0.0.1:${port}`);
    await fiveAttempts;
    await req.close();
    await new Promise((r) => refuser.close(r));
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    // Timers fire late on a busy machine, never early: only lower bounds are asserted.
    expect(gaps[0]).toBeGreaterThanOrEqual(40 - 2);
    expect(gaps[1]).toBeGreaterThanOrEqual(80 - 2);
    expect(gaps[2]).toBeGreaterThanOrEqual(160 - 2);
    expect(gaps[3]).toBeGreaterThanOrEqual(160 - 2);
  });

  it('tells pipe listeners when pipes come and go; a throwing listener is logged and ignored', async () => {
    const { rep, url } = await echoRep();
    const logger = quiet();
    const req = track(new SpReqSocket({ logger }));
    const events: string[] = [];
    req.onPipe(() => {
      throw new Error('listener bug');
    });
    const off = req.onPipe((event, pipe) => events.push(`${event}:${pipe.remote.startsWith('127.0.0.1:')}`));
    req.dial(url);
    await req.whenConnected(1, 5_000);
    await rep.close();
    await until(() => events.length === 2);
    expect(events).toEqual(['up:true', 'down:true']);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(2);
    off();
  });

  it('says in a timeout whether the request ever left (data.sent)', async () => {
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial('tcp://127.0.0.1:1');
    await expect(req.request(Buffer.from('x'), { timeout: 30 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT', data: { sent: false } });
    const { url } = await echoRep({ handler: () => undefined });
    const other = track(new SpReqSocket({ logger: quiet() }));
    other.dial(url);
    await other.whenConnected(1, 5_000);
    await expect(other.request(Buffer.from('x'), { timeout: 30 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT', data: { sent: true } });
  });

  it('whenConnected times out with NANITE_ERR_TIMEOUT', async () => {
    const req = track(new SpReqSocket({ logger: quiet() }));
    await expect(req.whenConnected(1, 20)).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  });
});
