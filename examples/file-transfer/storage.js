// The storage actor: saves an upload (ctx.input) to a file and streams a file back, both in chunks
// with flow control, so neither side ever holds a whole file in memory.
// @ts-check
'use strict';
const { createReadStream, createWriteStream } = require('node:fs');
const { mkdir, rename, rm, stat } = require('node:fs/promises');
const { once } = require('node:events');
const { createHash } = require('node:crypto');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { defineActor, NaniteError } = require('@nanite/core');

const DIR = process.env.STORAGE_DIR || join(tmpdir(), 'nanite-file-transfer');

/** A file name that cannot leave the storage directory. @param {unknown} name */
function safeName(name) {
  if (typeof name !== 'string' || !/^[\w][\w.-]{0,127}$/.test(name)) {
    throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'name must be 1-128 characters of letters, digits, _ . - (not starting with . or -)' });
  }
  return name;
}

const storage = defineActor('storage', {
  /**
   * Writes the upload to DIR/name (through a temporary file, so a cut upload leaves nothing).
   * @param {{ name: string }} p
   * @param {import('@nanite/core').RequestContext} ctx
   */
  async save(p, ctx) {
    const name = safeName(p?.name);
    if (!ctx.input) throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'send the file as a stream' });
    await mkdir(DIR, { recursive: true });
    const tmp = join(DIR, `.${name}.${process.pid}.part`);
    const out = createWriteStream(tmp);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of ctx.input) {
        const b = /** @type {Buffer} */ (chunk);
        hash.update(b);
        bytes += b.length;
        if (!out.write(b)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      await rename(tmp, join(DIR, name));
    } catch (err) {
      out.destroy();
      await rm(tmp, { force: true });
      throw err;
    }
    return { name, bytes, sha256: hash.digest('hex') };
  },

  /** Streams DIR/name back (a Node Readable is a result stream). @param {{ name: string }} p */
  async load(p) {
    const path = join(DIR, safeName(p?.name));
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new NaniteError('NANITE_ERR_VALIDATION', { message: `no file named ${p.name}`, data: { name: p.name } });
    return createReadStream(path, { highWaterMark: 256 * 1024 });
  },
});

module.exports = { storage, DIR };
