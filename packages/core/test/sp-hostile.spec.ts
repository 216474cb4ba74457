/**
 * SP sockets facing peers and callers that misbehave: replies larger than a requester takes,
 * answers from connections a survey never went to, frames dribbled a byte at a time, and
 * arguments of the wrong type.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect } from 'node:net';
import { SpMuxSocket, SpRepSocket, SpReqSocket, SpSurveyorSocket, type SpSocket } from '../src';
import { encodeFrame, SpFrameDecoder } from '../src/transport/sp/sp-frame';
import { encodeSpHeader } from '../src/transport/sp/sp-handshake';
import { RecordingLogger } from './helpers';
import { portOf, RawPeer } from './sp-tools';

const sockets: SpSocket[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function track<T extends SpSocket>(s: T): T {
  sockets.push(s);
  return s;
}
const quiet = (): RecordingLogger => new RecordingLogger();

describe('replies larger than maxMessageSize', () => {
  it('are refused (oversized-reply) instead of sent: the requester does not hang up, resend and run the handler again and again', async () => {
    let runs = 0;
    const rep = track(new SpRepSocket({
      logger: quiet(),
      maxMessageSize: 4_096,
      handler: () => {
        runs++;
        return Buffer.alloc(8_192, 1);
      },
    }));
    const { url } = await rep.listen('tcp://127.0.0.1:0');
    const req = track(new SpReqSocket({ logger: quiet(), maxMessageSize: 4_096, reconnectMin: 10, reconnectMax: 20 }));
    req.dial(url);
    await req.whenConnected(1, 5_000);
    await expect(req.request(Buffer.from('go'), { timeout: 800 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(runs).toBe(1);
    expect(rep.stats().faults['oversized-reply']).toBe(1);
    expect(rep.stats().pending).toBe(0);
  });

  it('a reply that fits exactly is sent', async () => {
    const rep = track(new SpRepSocket({ logger: quiet(), maxMessageSize: 4_096, handler: (r) => Buffer.alloc(r.maxReply, 2) }));
    const { url } = await rep.listen('tcp://127.0.0.1:0');
    const req = track(new SpReqSocket({ logger: quiet(), maxMessageSize: 4_096 }));
    req.dial(url);
    await expect(req.request(Buffer.from('go'), { timeout: 5_000 })).resolves.toHaveLength(4_092);
  });
});

describe('a large message dribbled a byte per segment', () => {
  // A real collection before each reading, so the heap measures what the decoder holds.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const used = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };

  it('costs the decoder about a byte per byte received, not a buffer object per segment', () => {
    const length = 300_000;
    const decoder = new SpFrameDecoder('tcp', 16 * 1024 * 1024);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(length, 4);
    const messages: Buffer[] = [];
    const deliver = (m: Buffer): void => void messages.push(m);
    expect(decoder.push(head, deliver)).toBeUndefined();
    const before = used();
    for (let i = 0; i < 200_000; i++) decoder.push(Buffer.from([i & 0xff]), deliver);
    const held = used() - before;
    // 200 000 bytes received: held as one growing buffer (<= 2x), not as 200 000 Buffer objects (~40 MB).
    expect(held).toBeLessThan(4 * 1024 * 1024);
    expect(decoder.buffered).toBe(200_000);
    for (let i = 200_000; i < length; i++) decoder.push(Buffer.from([i & 0xff]), deliver);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.length).toBe(length);
    expect(messages[0]!.every((b, i) => b === (i & 0xff))).toBe(true);
    expect(decoder.buffered).toBe(0);
  });

  it('still decodes back-to-back messages cut into many small pieces, in order', () => {
    const bodies = [0, 1, 5_000, 70_000, 17, 200_000, 3].map((n, k) => Buffer.alloc(n, k + 1));
    const wire = Buffer.concat(bodies.map((b) => encodeFrame('ipc', [b])));
    for (const step of [1, 3, 7, 1_000, 65_536]) {
      const decoder = new SpFrameDecoder('ipc', 1 << 20);
      const got: Buffer[] = [];
      let fault: string | undefined;
      for (let at = 0; at < wire.length; at += step) fault ??= decoder.push(wire.subarray(at, at + step), (m) => void got.push(Buffer.from(m)));
      expect(fault).toBeUndefined();
      expect(got.map((m) => m.length)).toEqual(bodies.map((m) => m.length));
      expect(got.every((m, k) => m.equals(bodies[k]!))).toBe(true);
      expect(decoder.buffered).toBe(0);
    }
  });
});

describe('survey answers', () => {
  /** A hand-driven respondent: sends its header, then whatever frames the test writes. */
  function respondent(url: string): RawPeer {
    const peer = new RawPeer(portOf(url));
    peers.push(peer);
    peer.write(encodeSpHeader('respondent'));
    return peer;
  }
  const answer = (id: number, text: string): Buffer => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(id >>> 0);
    return encodeFrame('tcp', [head, Buffer.from(text)]);
  };

  it('are taken once from each connection the survey went to; others and repeats are dropped as wrong-pipe', async () => {
    const surveyor = track(new SpSurveyorSocket({ logger: quiet() }));
    const { url } = await surveyor.listen('tcp://127.0.0.1:0');
    const asked = respondent(url);
    await surveyor.whenConnected(1, 5_000);
    const survey = surveyor.survey(Buffer.from('who?'), { timeout: 1_000 });
    expect(survey.sentTo).toBe(1);
    await asked.receive(8 + 8 + 4 + 4); // its header, then the survey
    const stranger = respondent(url);
    await surveyor.whenConnected(2, 5_000);
    stranger.write(answer(survey.id, 'forged'));
    asked.write(answer(survey.id, 'first'));
    asked.write(answer(survey.id, 'again'));
    await until(() => surveyor.stats().faults['wrong-pipe'] === 2);
    survey.cancel();
    const got = await survey.collect();
    expect(got.map((r) => r.body.toString())).toEqual(['first']);
  });
});

describe('arguments of the wrong type', () => {
  it('reply() with a string sends nothing, returns false and counts handler-error (not an empty reply)', async () => {
    const replied: boolean[] = [];
    const rep = track(new SpRepSocket({
      logger: quiet(),
      handler: (r) => {
        replied.push(r.reply('hello' as unknown as Uint8Array));
      },
    }));
    const { url } = await rep.listen('tcp://127.0.0.1:0');
    const req = track(new SpReqSocket({ logger: quiet() }));
    req.dial(url);
    await expect(req.request(Buffer.from('go'), { timeout: 300 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(replied).toEqual([false]);
    expect(rep.stats()).toMatchObject({ replies: 0, pending: 0, faults: expect.objectContaining({ 'handler-error': 1 }) });
  });

  it('whenConnected() takes a fractional timeout (time left until a deadline) and rounds it up', async () => {
    const req = track(new SpReqSocket({ logger: quiet() }));
    await expect(req.whenConnected(1, 20.5)).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    await expect(req.whenConnected(1.5, 10)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });

  it.each([3e9, 2 ** 31, -1, Number.NaN, Infinity, '100'])('whenConnected(1, %p) rejects with NANITE_ERR_INVALID_ARGUMENT instead of firing early', async (timeout) => {
    const req = track(new SpReqSocket({ logger: quiet() }));
    await expect(req.whenConnected(1, timeout as number)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });
});

describe('MUX sends that are not diverted (streams within their credit)', () => {
  it('throw NANITE_ERR_BUFFER_FULL once a peer that does not read has maxWriteBuffer + maxMessageSize unsent, counted', async () => {
    const mux = track(new SpMuxSocket({ logger: quiet(), maxWriteBuffer: 16 * 1024, maxMessageSize: 64 * 1024 }));
    const { url } = await mux.listen('tcp://127.0.0.1:0');
    let pipe = 0;
    mux.onPipe((event, info) => void (event === 'up' && (pipe = info.id)));
    const raw = connect({ host: '127.0.0.1', port: portOf(url) });
    raw.on('error', () => undefined);
    const gone = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    try {
      raw.write(encodeSpHeader('mux'));
      await mux.whenConnected(1, 5_000);
      raw.pause(); // never reads again
      const chunk = Buffer.alloc(60 * 1024, 1);
      let sent = 0;
      let error: unknown;
      for (let i = 0; i < 4_000 && error === undefined; i++) {
        try {
          if (mux.send(pipe, [chunk], false)) sent++;
        } catch (e) {
          error = e;
        }
        if (i % 16 === 15) await new Promise((r) => setImmediate(r)); // let the kernel take what it takes
      }
      expect(error).toMatchObject({ code: 'NANITE_ERR_BUFFER_FULL' });
      expect(sent).toBeGreaterThan(1); // the soft bound (16 KiB) did not stop them
      expect(mux.stats().faults['send-buffer-full']).toBe(1);
      // A bounded send is still just refused.
      expect(mux.send(pipe, [chunk])).toBe(false);
    } finally {
      raw.destroy();
      await gone;
    }
  });
});
