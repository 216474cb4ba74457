/** Closing an SP socket in order (`linger`, nanomsg's NN_LINGER): what was sent before close() arrives; a peer that never closes is dropped after `linger`. */
import { connect, type Socket } from 'node:net';
import { NaniteError, SpMuxSocket } from '../src';
import { encodeSpHeader } from '../src/transport/sp/sp-handshake';
import { RecordingLogger } from './helpers';
import { portOf } from './sp-tools';

const logger = new RecordingLogger();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
function own<T extends { close(): Promise<void> }>(x: T): T {
  closers.push(() => x.close());
  return x;
}

/** 4 MiB in 64 KiB messages: more than the kernel's socket buffers take at once, so most of it is still in Node's when close() is called. */
const MESSAGES = 64;
const MESSAGE = Buffer.alloc(64 * 1024, 1);

/** A MUX server that sends {@link MESSAGES} to its first peer and closes at once; resolves with how many messages that peer got. */
async function sendThenClose(linger: number): Promise<number> {
  const server = own(new SpMuxSocket({ logger, linger }));
  const url = (await server.listen('tcp://127.0.0.1:0')).url;
  const client = own(new SpMuxSocket({ logger }));
  let got = 0;
  client.serve(() => got++);
  const down = new Promise<void>((resolve) => client.onPipe((e) => e === 'down' && resolve()));
  const up = new Promise<number>((resolve) => server.onPipe((e, pipe) => e === 'up' && resolve(pipe.id)));
  client.dial(url);
  const pipe = await up;
  for (let i = 0; i < MESSAGES; i++) expect(server.send(pipe, [MESSAGE], false)).toBe(true);
  await server.close();
  await down;
  await client.close();
  return got;
}

describe('SP linger', () => {
  it('close() flushes what was sent before it: the peer gets every message', async () => {
    expect(await sendThenClose(1_000)).toBe(MESSAGES);
  });

  it('linger 0 drops the connection at once, and with it what was still buffered', async () => {
    expect(await sendThenClose(0)).toBeLessThan(MESSAGES);
  });

  it('a peer that never closes its side is dropped after linger, and close() resolves then', async () => {
    const server = own(new SpMuxSocket({ logger, linger: 300 }));
    const url = (await server.listen('tcp://127.0.0.1:0')).url;
    const up = new Promise<void>((resolve) => server.onPipe((e) => e === 'up' && resolve()));
    // Half-open allowed: it reads the server's end and does not close its own side.
    const peer: Socket = connect({ host: '127.0.0.1', port: portOf(url), allowHalfOpen: true });
    peer.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => peer.once('close', () => resolve()));
    let ended = false;
    peer.on('end', () => (ended = true));
    peer.on('data', () => undefined);
    peer.write(encodeSpHeader('mux'));
    await up;
    const started = Date.now();
    await server.close(); // resolves once the server's side of the connection is gone
    const took = Date.now() - started;
    expect(ended).toBe(true); // it was told (a half-close), then dropped
    peer.destroy();
    await closed;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
  });

  it('refuses a linger that is not an integer in range', () => {
    expect(() => new SpMuxSocket({ logger, linger: -1 })).toThrow(NaniteError);
    expect(() => new SpMuxSocket({ logger, linger: 1.5 })).toThrow(/linger/);
  });
});
