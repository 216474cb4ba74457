// Preload (`node -r ./turnaround.js responder-or-caller.js ...`): measures, inside one process, the
// time from the moment bytes from the broker (port 5672) enter the socket's stream to the next write
// call on that socket: for a responder, request in → reply out; for a caller at concurrency 1, reply
// in → next request out. That is the process's own share of a round trip (its JavaScript, amqplib
// and Nanite or raw code), without the syscall, the broker or the wake-ups. On exit prints
// `TURNAROUND <TL_NAME> p25/p50/p75 µs`. TL_SKIP_MS (default 2500): ignore the start (connect, warm-up).
// Diagnosis only (it patches net.Socket.prototype); see BENCHMARKS.md, "AMQP concurrency 1 taken apart".
'use strict';
const net = require('node:net');
const { Readable } = require('node:stream');

const now = () => Number(process.hrtime.bigint() / 1000n);
let lastRead = 0;
let on = false;
const gaps = [];
setTimeout(() => (on = true), Number(process.env.TL_SKIP_MS || 2500)).unref();
const P = net.Socket.prototype;
const push = P.push || Readable.prototype.push;
P.push = function (chunk, enc) {
  if (chunk && this.remotePort === 5672) lastRead = now();
  return push.call(this, chunk, enc);
};
for (const m of ['_writeGeneric', '_writev']) {
  const orig = P[m];
  P[m] = function (...a) {
    if (on && lastRead && this.remotePort === 5672) {
      gaps.push(now() - lastRead);
      lastRead = 0;
    }
    return orig.apply(this, a);
  };
}
process.on('exit', () => {
  gaps.sort((a, b) => a - b);
  const q = (p) => gaps[Math.floor(p * gaps.length)];
  process.stderr.write(`TURNAROUND ${process.env.TL_NAME || process.argv[1]} µs p25 ${q(0.25)} p50 ${q(0.5)} p75 ${q(0.75)} n=${gaps.length}\n`);
});
