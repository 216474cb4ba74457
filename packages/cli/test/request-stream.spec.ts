/** `nanite request --stream / --out / --in` against memory:// agents. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, defineActor, type RequestContext } from '@nanite/core';
import { EXIT, runRequest } from '../src';
import { memoryUrl, quietLogger, testIo } from './helpers';

const files = defineActor('files', {
  async *rows(n: number) {
    for (let i = 0; i < n; i++) yield { i };
  },
  async *bytes(size: number) {
    for (let at = 0; at < size; at += 70_000) yield Buffer.alloc(Math.min(70_000, size - at), at % 256);
  },
  async sha(_: unknown, ctx: RequestContext) {
    const hash = createHash('sha256');
    for await (const c of ctx.input!) hash.update(c as Buffer);
    return hash.digest('hex');
  },
});

describe('request --stream, --out, --in (memory://)', () => {
  let url: string;
  let agent: Agent;
  let dir: string;

  beforeEach(async () => {
    url = memoryUrl();
    agent = new Agent({ transport: url, logger: quietLogger, actors: [files] });
    await agent.start();
    dir = await mkdtemp(join(tmpdir(), 'nanite-cli-stream-'));
  });

  afterEach(async () => {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('--stream prints JSON chunks as NDJSON', async () => {
    const io = testIo();
    expect(await runRequest({ url, route: '/files/rows', payload: '3', stream: true }, io)).toBe(EXIT.OK);
    expect(io.stdout.text).toBe('{"i":0}\n{"i":1}\n{"i":2}\n');
  });

  it('--out writes a byte stream to a file', async () => {
    const io = testIo({ cwd: dir });
    expect(await runRequest({ url, route: '/files/bytes', payload: '300000', out: 'out.bin' }, io)).toBe(EXIT.OK);
    const got = await readFile(join(dir, 'out.bin'));
    expect(got.length).toBe(300_000);
    expect(got[140_000]).toBe(140_000 % 256);
    expect(io.stdout.text).toBe('');
  });

  it('--in uploads a file as the input stream', async () => {
    const data = Buffer.alloc(1_000_000, 5);
    await writeFile(join(dir, 'in.bin'), data);
    const io = testIo({ cwd: dir });
    expect(await runRequest({ url, route: '/files/sha', in: 'in.bin' }, io)).toBe(EXIT.OK);
    expect(JSON.parse(io.stdout.text)).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('--in - uploads stdin', async () => {
    const io = testIo();
    io.stdin.end('hello');
    expect(await runRequest({ url, route: '/files/sha', in: '-' }, io)).toBe(EXIT.OK);
    expect(JSON.parse(io.stdout.text)).toBe(createHash('sha256').update('hello').digest('hex'));
  });

  it('--stream with --selector all is a usage error', async () => {
    const io = testIo();
    expect(await runRequest({ url, route: '/files/rows', payload: '1', stream: true, selector: 'all', discovery: 10 }, io)).toBe(EXIT.USAGE);
    expect(io.stderr.text).toContain('NANITE_ERR_INVALID_ARGUMENT');
  });
});
