// The actors of the example: plain JavaScript, no decorators (defineActor). The JSDoc types on the
// handlers are the whole contract: server.js calls them through a typed view (`npm run typecheck`).
// @ts-check
'use strict';
const { defineActor, NaniteError } = require('@nanite/core');

/** @param {number} ms @param {AbortSignal} [signal] @returns {Promise<void>} */
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

/** Arithmetic: `/calc/add` takes `[a, b]`. */
const calc = defineActor('calc', {
  // Checked at run time too: HTTP callers send whatever they like.
  add: { idempotent: true, handler: /** @param {[number, number]} payload */ (payload) => {
    if (!Array.isArray(payload) || payload.length !== 2 || !payload.every(Number.isFinite)) {
      throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'payload must be [a, b] with two numbers', data: { payload } });
    }
    return payload[0] + payload[1];
  } },
});

/** A slow job with intermediate results: `/images/resize` takes `{ url, sizes }` and reports each size as it is done. */
const images = defineActor('images', {
  /**
   * @param {{ url: string, sizes?: number[] }} payload
   * @param {import('@nanite/core').RequestContext<{ resized: { size: number, of: number, done: number } }>} ctx
   */
  resize: async (payload, ctx) => {
    const { url, sizes = [64, 256, 1024] } = payload ?? {};
    if (typeof url !== 'string') throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'url is required', data: { field: 'url' } });
    const done = [];
    for (const size of sizes) {
      await sleep(150 + Math.random() * 250, ctx.signal);
      done.push(`${url}@${size}`);
      ctx.progress('resized', { size, of: sizes.length, done: done.length });
    }
    return { url, thumbnails: done };
  },
});

/** Introspection, handy with selector `all`: `/system/info` answers who and where the agent is. */
/** @param {Record<string, unknown>} extra */
function systemActor(extra) {
  return defineActor('system', {
    info: { idempotent: true, handler: (_payload, ctx) => ({ agent: ctx.agent, pid: process.pid, node: process.version, uptime: Math.round(process.uptime()), ...extra }) },
    sleep: /** @param {number | undefined} payload */ async (payload, ctx) => {
      const ms = Math.min(Number(payload) || 1000, 60_000);
      for (let left = ms; left > 0; left -= 500) {
        await sleep(Math.min(500, left), ctx.signal);
        ctx.progress('remaining', Math.max(0, left - 500));
      }
      return { slept: ms };
    },
  });
}

// `system` is a ready instance, so `nanite agent --actors examples/fastify-app/actors.js` serves
// /system/info and /system/sleep too (the CLI loads actor instances and classes, not factories);
// server.js calls `systemActor(extra)` to add its own fields.
const system = systemActor({});

module.exports = { calc, images, system, systemActor, sleep };
