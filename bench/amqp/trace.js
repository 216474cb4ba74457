// Preload (`node -r ./trace.js raw.server.js ...` / `nanite.client.js ...`; diagnosis only, it
// patches amqplib, net.Socket and two of core's modules): for each request at concurrency 1, where
// a process's own share of the round trip goes, from the moment bytes from the broker reach
// JavaScript to the write of what answers them (a responder: request in → reply out; a caller:
// reply in → next request out). Marks: read (socket data, or core's socket reader), parse (amqplib's
// first frame parse), dispatch (amqplib hands the message to its consumer), publish (the first
// publish after it: amqplib's sendMessage or core's publish-frames), write (the socket write).
// On exit prints the medians of each gap to stderr, after TL_SKIP_MS (default 2500) of start-up.
// `bench/amqp/trace.sh raw|nanite` runs a pair under it. See BENCHMARKS.md, "AMQP request/response".
'use strict';
const path = require('node:path');
const net = require('node:net');
const { Readable } = require('node:stream');

const root = path.join(__dirname, '..', '..');
const amqplib = path.dirname(require.resolve('amqplib', { paths: [path.join(root, 'packages', 'core')] }));
const now = () => Number(process.hrtime.bigint()) / 1000;
let on = false;
setTimeout(() => (on = true), Number(process.env.TL_SKIP_MS || 2500)).unref();
let R = 0, A = 0, D = 0, P = 0, S = 0;
const rows = [];

const sock = net.Socket.prototype;
const push = sock.push || Readable.prototype.push;
sock.push = function (chunk, enc) {
  if (chunk && this.remotePort === 5672 && !R) R = now();
  return push.call(this, chunk, enc);
};
function optional(file, patch) {
  try {
    patch(require(path.join(root, 'packages/core/dist/transport/amqp', file)));
  } catch {
    // not built, or an older core without it
  }
}
optional('socket-reader.js', ({ SocketReader }) => {
  const read = SocketReader.prototype.read;
  SocketReader.prototype.read = function (s, b) {
    if (!R) R = now();
    return read.call(this, s, b);
  };
});
const { Connection } = require(path.join(amqplib, 'lib/connection.js'));
const recv = Connection.prototype.recvFrame;
Connection.prototype.recvFrame = function () {
  if (R && !A) A = now();
  return recv.call(this);
};
const { BaseChannel, Channel } = require(path.join(amqplib, 'lib/channel.js'));
const dispatch = BaseChannel.prototype.dispatchMessage;
BaseChannel.prototype.dispatchMessage = function (f, m) {
  if (A && !D) D = now();
  return dispatch.call(this, f, m);
};
function markPublish(fn) {
  return function (...a) {
    const first = D && !P;
    if (first) P = now();
    const r = fn.apply(this, a);
    if (first) S = now() - P;
    return r;
  };
}
Channel.prototype.sendMessage = markPublish(Channel.prototype.sendMessage);
optional('publish-frames.js', (m) => {
  // A link's writer encodes through a PublishEncoder; older builds called encodePublish.
  if (m.PublishEncoder) m.PublishEncoder.prototype.encode = markPublish(m.PublishEncoder.prototype.encode);
  else m.encodePublish = markPublish(m.encodePublish);
});
for (const m of ['_writeGeneric', '_writev']) {
  const orig = sock[m];
  sock[m] = function (...a) {
    if (R && P && this.remotePort === 5672) {
      const w = now();
      if (on) rows.push([A - R, D - A, P - D, w - P, w - R, S]);
      R = A = D = P = 0;
    }
    return orig.apply(this, a);
  };
}
process.on('exit', () => {
  if (rows.length === 0) return void process.stderr.write(`TRACE ${process.env.TL_NAME || process.argv[1]}: no request traced\n`);
  const q = (i) => rows.map((r) => r[i]).sort((x, y) => x - y)[rows.length >> 1].toFixed(1);
  process.stderr.write(
    `TRACE ${process.env.TL_NAME || process.argv[1]} n=${rows.length} µs, medians: read→parse ${q(0)} parse→dispatch ${q(1)} dispatch→publish ${q(2)} publish→write ${q(3)} = ${q(4)} (encoding the publish: ${q(5)})\n`,
  );
});
