/** `nanite request --stream / --out / --in` against memory:// agents. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, defineActor, type RequestContext } from '@nanite/core';
import { EXIT, runRequest } from '../src';
import { memoryUrl, quietLogger, testIo } from './helpers';
import { CliRunner } from './spawn';

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

  describe('a bad --in / --out path', () => {
    const cli = new CliRunner();
    afterEach(() => cli.killAll());

    it('a missing --out directory or --in file exits 2 with one clear line, no stack trace, nothing left open (the real process)', async () => {
      const out = join(dir, 'no-such-dir', 'out.bin');
      const wrote = await cli.run(['request', '/files/rows', '3', '--url', memoryUrl(), '--out', out]);
      expect(wrote).toEqual({ code: EXIT.USAGE, stdout: '', stderr: `NANITE_ERR_INVALID_ARGUMENT: --out ${out}: cannot write ${out} (no such file or directory)\n` });
      const missing = join(dir, 'missing.bin');
      const read = await cli.run(['request', '/files/sha', '--url', memoryUrl(), '--in', missing]);
      expect(read).toEqual({ code: EXIT.USAGE, stdout: '', stderr: `NANITE_ERR_INVALID_ARGUMENT: --in ${missing}: cannot read ${missing} (no such file or directory)\n` });
    }, 20_000);

    it('--in of a missing file or a directory is a usage error before the request goes out', async () => {
      const io = testIo({ cwd: dir });
      expect(await runRequest({ url, route: '/files/sha', in: 'missing.bin' }, io)).toBe(EXIT.USAGE);
      expect(io.stderr.text).toBe(`NANITE_ERR_INVALID_ARGUMENT: --in missing.bin: cannot read ${join(dir, 'missing.bin')} (no such file or directory)\n`);
      const folder = testIo({ cwd: dir });
      expect(await runRequest({ url, route: '/files/sha', in: '.' }, folder)).toBe(EXIT.USAGE);
      expect(folder.stderr.text).toBe(`NANITE_ERR_INVALID_ARGUMENT: --in .: cannot read ${dir} (is a directory)\n`);
      expect(agent.stats.handled).toBe(0);
    });

    it('--out to a file that fails while written (a full disk) ends the request with a clear error, exit 1', async () => {
      const io = testIo();
      expect(await runRequest({ url, route: '/files/bytes', payload: '3000000', out: '/dev/full' }, io)).toBe(EXIT.FAILURE);
      expect(io.stderr.text).toBe('Error: --out /dev/full: cannot write /dev/full (no space left on device)\n');
      expect(io.stdout.text).toBe('');
    });
  });
});
