/** examples/file-transfer run as a user would (a child process on memory://): upload, download, compare. */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join(__dirname, '..', '..', '..', 'examples', 'file-transfer');

describe('examples/file-transfer on memory://', () => {
  it('uploads a file through Fastify into the agent and downloads it back unchanged', async () => {
    const storage = await mkdtemp(join(tmpdir(), 'nanite-ft-'));
    const child = spawn(process.execPath, ['server.js'], {
      cwd: DIR,
      env: { ...process.env, PORT: '0', STORAGE_DIR: storage, NANITE_URL: `memory://ft-${process.pid}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`server exited: ${out}`)));
      });
      const file = randomBytes(3 * 1024 * 1024 + 17);
      const sha256 = createHash('sha256').update(file).digest('hex');

      const put = await fetch(`${base}/files/data.bin`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: file });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ name: 'data.bin', bytes: file.length, sha256 });

      const get = await fetch(`${base}/files/data.bin`);
      expect(get.status).toBe(200);
      const back = Buffer.from(await get.arrayBuffer());
      expect(createHash('sha256').update(back).digest('hex')).toBe(sha256);

      const missing = await fetch(`${base}/files/nothing.bin`);
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ code: 'NANITE_ERR_VALIDATION' });
      const bad = await fetch(`${base}/files/..secret`, { method: 'PUT', body: 'x' });
      expect(bad.status).toBe(400);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await rm(storage, { recursive: true, force: true });
    }
  }, 30_000);
});
