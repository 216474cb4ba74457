/**
 * The socket reader (src/transport/amqp/socket-reader.ts) on a real loopback socket under
 * amqplib's real Connection: before `attach` amqplib reads what arrives as usual; `attach` hands on
 * what amqplib had not parsed first, then dispatches every frame itself, keeps the heartbeat's
 * receive check, reports a bad frame once as amqplib does, and still lets the socket end; on a
 * connection of another shape it changes nothing.
 */
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';
import { SocketReader } from '../src/transport/amqp/socket-reader';
import { amqplibInternal, frame } from './amqp-frames.helpers';

// amqplib's real Connection.
const { Connection } = amqplibInternal<{ Connection: new (stream: Socket) => Conn }>('connection.js');
interface Conn {
  recvFrame(): unknown;
  accept(frame: unknown): void;
  on(event: string, f: (x: unknown) => void): void;
  rest: Buffer;
  recvSinceLastCheck: boolean;
}
interface Frame {
  channel: number;
  content?: Buffer;
}

let server: Server;
let peer: Socket;
let socket: Socket;
let reader: SocketReader;

beforeEach(async () => {
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  reader = new SocketReader(() => undefined);
  socket = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', onread: reader.onread });
  [peer] = (await accepted) as [Socket];
  await once(socket, 'connect');
});

afterEach(async () => {
  socket.destroy();
  peer.destroy();
  server.close();
  await once(server, 'close');
});

/** Waits until `cond()` holds (frames travel a real socket). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

test("before attach amqplib reads as usual; attach hands on what it had not parsed, then dispatches every frame", async () => {
  const conn = new Connection(socket);
  const stock: Frame[] = [];
  // amqplib's handshake reads with recvFrame on 'readable': the first frame that way.
  socket.on('readable', function first() {
    const f = conn.recvFrame() as Frame | false;
    if (f) {
      stock.push(f);
      socket.removeListener('readable', first);
    }
  });
  peer.write(Buffer.concat([frame(1, Buffer.from('one')), frame(1, Buffer.from('two')), frame(2, Buffer.from('thr'))]));
  await until(() => stock.length === 1);
  const got: Frame[] = [];
  conn.accept = (f) => got.push(f as Frame);
  expect(reader.attach({ connection: conn } as unknown as ChannelModel)).toBe(true);
  expect(got.map((f) => f.content?.toString())).toEqual(['two', 'thr']);
  conn.recvSinceLastCheck = false;
  const big = Buffer.alloc(500_000, 7);
  peer.write(Buffer.concat([frame(0), frame(3, big)]));
  await until(() => got.length === 4);
  expect(conn.recvSinceLastCheck).toBe(true);
  expect(got[2]!.channel).toBe(0);
  expect(got[3]!.content!.equals(big)).toBe(true);
  expect(conn.recvFrame()).toBe(false); // amqplib's own loop finds nothing to read
  const ended = once(socket, 'end');
  peer.end();
  await ended;
});

test('a bad frame is reported once as a frameError; nothing after it is dispatched', async () => {
  const conn = new Connection(socket);
  peer.write(frame(1, Buffer.from('ok')));
  await until(() => socket.readableLength > 0);
  const got: Frame[] = [];
  const errors: unknown[] = [];
  conn.accept = (f) => got.push(f as Frame);
  conn.on('frameError', (e) => errors.push(e));
  expect(reader.attach({ connection: conn } as unknown as ChannelModel)).toBe(true);
  const bad = frame(1, Buffer.from('bad'));
  bad[bad.length - 1] = 0;
  peer.write(Buffer.concat([bad, frame(1, Buffer.from('after'))]));
  await until(() => errors.length === 1);
  peer.write(frame(1, Buffer.from('later')));
  await new Promise((r) => setTimeout(r, 50));
  expect(got.map((f) => f.content?.toString())).toEqual(['ok']);
  expect(errors).toHaveLength(1);
  expect(String(errors[0])).toMatch(/Invalid frame/);
});

test('on a connection of another shape nothing changes: reads keep reaching the socket', async () => {
  const conn = new Connection(socket);
  peer.write('x');
  await until(() => socket.readableLength > 0);
  expect(reader.attach({ connection: {} } as unknown as ChannelModel)).toBe(false);
  expect(reader.attach({ connection: { ...conn, stream: {} } } as unknown as ChannelModel)).toBe(false);
  peer.write('yz');
  await until(() => socket.readableLength === 3);
  expect((socket.read() as Buffer).toString()).toBe('xyz');
});
