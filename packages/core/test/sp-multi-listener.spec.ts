/** SpMultiListener: one address, each connection handed to the socket of its peer protocol; the rest refused and counted. */
import { connect } from 'node:net';
import { SpMultiListener, SpMuxSocket, SpRepSocket, SpReqSocket, SpSurveyorSocket, SpRespondentSocket, NaniteError } from '../src';
import { RecordingLogger } from './helpers';

const logger = new RecordingLogger();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
function own<T extends { close(): Promise<void> }>(x: T): T {
  closers.push(() => x.close());
  return x;
}

describe('SpMultiListener', () => {
  it('hands REQ peers to the REP socket, SURVEYOR peers to the RESPONDENT socket and MUX peers to the MUX socket', async () => {
    const rep = own(new SpRepSocket({ logger, handler: (r) => Buffer.concat([Buffer.from('rep:'), r.body]) }));
    const respondent = own(new SpRespondentSocket({ logger, handler: (r) => Buffer.concat([Buffer.from('resp:'), r.body]) }));
    const mux = own(new SpMuxSocket({ logger }));
    mux.serve((pipe, body) => mux.send(pipe.id, [Buffer.from('mux:'), body]));
    const listener = await SpMultiListener.open('tcp://127.0.0.1:0', [rep, respondent, mux], { logger });
    closers.push(() => listener.close());

    const req = own(new SpReqSocket({ logger }));
    req.dial(listener.url);
    expect(String(await req.request(Buffer.from('a'), { timeout: 5_000 }))).toBe('rep:a');
    const surveyor = own(new SpSurveyorSocket({ logger }));
    surveyor.dial(listener.url);
    await surveyor.whenConnected(1, 5_000);
    expect((await surveyor.survey(Buffer.from('b'), { timeout: 500 }).collect()).map((r) => String(r.body))).toEqual(['resp:b']);
    const peer = own(new SpMuxSocket({ logger }));
    const got = new Promise<string>((resolve) => peer.serve((_p, body) => resolve(String(body))));
    let pipe = -1;
    peer.onPipe((e, info) => {
      if (e === 'up') pipe = info.id;
    });
    peer.dial(listener.url);
    await peer.whenConnected(1, 5_000);
    expect(peer.send(pipe, [Buffer.from('c')])).toBe(true);
    expect(await got).toBe('mux:c');
    expect(listener.stats().accepted).toEqual({ rep: 1, respondent: 1, mux: 1 });
  });

  it('refuses a peer protocol no socket serves, and bytes that are not an SP header, counting both', async () => {
    const rep = own(new SpRepSocket({ logger }));
    const listener = await SpMultiListener.open('tcp://127.0.0.1:0', [rep], { logger });
    closers.push(() => listener.close());
    const wrong = own(new SpRepSocket({ logger })); // a REP peer: nobody here answers REP
    wrong.dial(listener.url);
    const port = Number(listener.url.slice(listener.url.lastIndexOf(':') + 1));
    const raw = connect({ host: '127.0.0.1', port });
    raw.on('error', () => undefined);
    raw.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => raw.once('close', r));
    while (listener.stats().faults['wrong-protocol'] === 0) await new Promise((r) => setTimeout(r, 10));
    expect(listener.stats().faults['bad-header']).toBe(1);
    expect(rep.pipeCount).toBe(0);
  });

  it('refuses two sockets for the same peer protocol', async () => {
    const a = own(new SpRepSocket({ logger }));
    const b = own(new SpRepSocket({ logger }));
    await expect(SpMultiListener.open('tcp://127.0.0.1:0', [a, b], { logger })).rejects.toBeInstanceOf(NaniteError);
  });
});
