/**
 * A large result stream on memory://: NANITE_STREAM_MEMORY_BYTES (default 1 GiB) of generated
 * bytes through a handler and back, SHA-256 checked at both ends, with the process's RSS (mapper
 * and agent share it here) staying under +100 MB.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { defineActor, type RequestContext } from '../src';
import { closeCluster, TestCluster } from './helpers';

const BIG = Number(process.env.NANITE_STREAM_MEMORY_BYTES ?? 1024 * 1024 * 1024);
const MB = 1024 * 1024;

let c: TestCluster;
beforeEach(() => {
  c = new TestCluster();
});
afterEach(() => closeCluster(c));

test(`${BIG / MB} MiB through a handler arrive whole (SHA-256 at both ends) with RSS under +100 MB`, async () => {
  const base = process.memoryUsage.rss();
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss() - base);
  };
  let sentSha = '';
  const actor = defineActor('bytes', {
    async *gen(total: number, ctx: RequestContext) {
      const hash = createHash('sha256');
      const size = 256 * 1024;
      for (let sent = 0; sent < total && !ctx.signal.aborted; sent += size) {
        const b = randomFillSync(Buffer.allocUnsafe(Math.min(size, total - sent)));
        hash.update(b);
        yield b;
      }
      sentSha = hash.digest('hex');
    },
  });
  await c.agent({ actors: [actor] }).start();
  const m = await c.startedMapper();
  const hash = createHash('sha256');
  let bytes = 0;
  let n = 0;
  const started = performance.now();
  for await (const chunk of m.stream<Buffer>('/bytes/gen', BIG)) {
    hash.update(chunk);
    bytes += chunk.length;
    if (++n % 64 === 0) sample();
  }
  sample();
  const seconds = (performance.now() - started) / 1000;
  expect(bytes).toBe(BIG);
  expect(hash.digest('hex')).toBe(sentSha);
  expect(peak).toBeLessThan(100 * MB);
  process.stdout.write(`memory stream: ${BIG / MB} MiB in ${seconds.toFixed(1)} s (${(BIG / MB / seconds).toFixed(0)} MiB/s), RSS +${(peak / MB).toFixed(0)} MB\n`);
}, 180_000);
