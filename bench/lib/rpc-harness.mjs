// Shared pieces of the request/response benchmarks (direct.mjs, sp-echo.mjs): command-line
// arguments, a timed phase at a given concurrency, medians, and the raw node:net echo baseline
// (4-byte big-endian length prefix, no-delay) both as a server and as a client.
import { createServer, connect } from 'node:net';
import { performance } from 'node:perf_hooks';

/** `--name=value` from the command line, or `def`. */
export const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Calls `call()` from `concurrency` workers for `seconds`; returns requests/s, pushes latencies (ms) if given. */
export async function phase(call, concurrency, seconds, latencies) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await call();
      done++;
      if (latencies) latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}

/** Warm-up at 64, then each concurrency for `seconds`; p50 (µs) from the concurrency-1 phase. */
export async function measureCalls(call, concurrencies, seconds) {
  await phase(call, 64, 1, null);
  const out = {};
  for (const n of concurrencies) {
    const lat = n === 1 ? [] : null;
    out[n] = await phase(call, n, seconds, lat);
    if (lat) out.p50us = median(lat) * 1000;
  }
  return out;
}

/** Splits a stream of length-prefixed frames; `onFrame(frame)` gets each whole frame, prefix included. */
function frames(sock, onFrame) {
  let buf = Buffer.alloc(0);
  sock.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const n = buf.readUInt32BE(at);
      if (buf.length - at < 4 + n) break;
      onFrame(buf.subarray(at, at + 4 + n));
      at += 4 + n;
    }
    buf = buf.subarray(at);
  });
}

/** The raw echo server on a free loopback port; resolves to the port. */
export async function serveTcpEcho() {
  const server = createServer({ noDelay: true }, (sock) => {
    frames(sock, (frame) => sock.write(frame));
    sock.on('error', () => undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server.address().port;
}

/** A client of the raw echo server: `call(body)` resolves to the echoed body. */
export async function tcpEchoClient(port) {
  const sock = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((r) => sock.once('connect', r));
  const waiting = [];
  frames(sock, (frame) => waiting.shift()(frame.subarray(4)));
  return {
    call: (body) =>
      new Promise((resolve) => {
        const frame = Buffer.allocUnsafe(4 + body.length);
        frame.writeUInt32BE(body.length, 0);
        body.copy(frame, 4);
        waiting.push(resolve);
        sock.write(frame);
      }),
    close: async () => sock.destroy(),
  };
}
