/**
 * Interop with the reference implementations: Debian's nanomsg-utils (nanocat) and nng-utils
 * (nngcat), run as real processes (scripts/ensure-sp-tools.sh installs them). Every pattern, both
 * roles of dial/listen, over tcp:// and ipc://.
 */
import { SpRepSocket, SpReqSocket, SpRespondentSocket, SpSurveyorSocket, defineActor } from '../src';
import type { SpSocket } from '../src';
import { RecordingLogger, TestCluster, closeCluster } from './helpers';
import { freePort, SpToolbox } from './sp-tools';

interface ToolFlags {
  req: string;
  rep: string;
  surveyor: string;
  respondent: string;
  listen: string;
  dial: string;
}

const TOOLS: Record<'nngcat' | 'nanocat', ToolFlags> = {
  nngcat: { req: '--req0', rep: '--rep0', surveyor: '--surveyor0', respondent: '--respondent0', listen: '--listen', dial: '--dial' },
  nanocat: { req: '--req', rep: '--rep', surveyor: '--surveyor', respondent: '--respondent', listen: '--bind', dial: '--connect' },
};

type Kind = 'tcp' | 'ipc';
type Side = 'we listen' | 'we dial';

const box = new SpToolbox();
const sockets: SpSocket[] = [];
const logger = new RecordingLogger();

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
  await box.cleanup();
});

function track<T extends SpSocket>(s: T): T {
  sockets.push(s);
  return s;
}

/** Connects `socket` and returns the address flag and URL the tool must use. */
async function connect(socket: SpSocket, kind: Kind, side: Side, flags: ToolFlags): Promise<string[]> {
  if (side === 'we listen') {
    const { url } = await socket.listen(kind === 'tcp' ? 'tcp://127.0.0.1:0' : `ipc://${box.ipcPath()}`);
    return [flags.dial, url];
  }
  const url = kind === 'tcp' ? `tcp://127.0.0.1:${await freePort()}` : `ipc://${box.ipcPath()}`;
  // Our dialer retries (reconnect backoff) until the tool listens.
  socket.dial(url);
  return [flags.listen, url];
}

const cases: Array<[keyof typeof TOOLS, Kind, Side]> = [];
for (const tool of ['nngcat', 'nanocat'] as const) for (const kind of ['tcp', 'ipc'] as const) for (const side of ['we listen', 'we dial'] as const) cases.push([tool, kind, side]);

describe.each(cases)('%s over %s, %s', (tool, kind, side) => {
  const flags = TOOLS[tool];

  it(`our REP answers ${flags.req}`, async () => {
    const rep = track(new SpRepSocket({ logger, handler: (r) => Buffer.concat([Buffer.from('re:'), r.body]) }));
    const addr = await connect(rep, kind, side, flags);
    const t = box.spawn(tool, [flags.req, ...addr, '--data', 'ping', '-A']);
    await t.waitFor('re:ping');
    expect(await t.exited).toBe(0);
    expect(rep.stats()).toMatchObject({ received: 1, replies: 1 });
  });

  it(`our REQ gets replies from ${flags.rep}`, async () => {
    const req = track(new SpReqSocket({ logger }));
    const addr = await connect(req, kind, side, flags);
    const t = box.spawn(tool, [flags.rep, ...addr, '--data', 'pong', '-A']);
    const replies = await Promise.all(['a', 'b', 'c'].map((x) => req.request(Buffer.from(`ping-${x}`), { timeout: 10_000 })));
    expect(replies.map(String)).toEqual(['pong', 'pong', 'pong']);
    await t.waitFor('ping-c');
  });

  it(`our RESPONDENT answers ${flags.surveyor}`, async () => {
    const respondent = track(new SpRespondentSocket({ logger, handler: (r) => Buffer.concat([Buffer.from('ans:'), r.body]) }));
    const addr = await connect(respondent, kind, side, flags);
    // The tool surveys once after the delay (time for the connection to come up), then exits at its deadline.
    const t = box.spawn(tool, [flags.surveyor, ...addr, '--data', 'who', '-A', '-d', '1']);
    await t.waitFor('ans:who');
    expect(await t.exited).toBe(0);
  });

  it(`our SURVEYOR collects answers from ${flags.respondent}`, async () => {
    const surveyor = track(new SpSurveyorSocket({ logger }));
    const addr = await connect(surveyor, kind, side, flags);
    box.spawn(tool, [flags.respondent, ...addr, '--data', `here-${tool}`, '-A']);
    await surveyor.whenConnected(1, 10_000);
    const answers = await surveyor.survey(Buffer.from('who'), { timeout: 1_000 }).collect();
    expect(answers.map((a) => String(a.body))).toEqual([`here-${tool}`]);
  });
});

describe('mixed fleets', () => {
  it('our SURVEYOR collects from an nngcat and a nanocat respondent at once; our REQ spreads over both kinds of REP', async () => {
    const surveyor = track(new SpSurveyorSocket({ logger }));
    const { url } = await surveyor.listen('tcp://127.0.0.1:0');
    box.spawn('nngcat', ['--respondent0', '--dial', url, '--data', 'from-nng', '-A']);
    box.spawn('nanocat', ['--respondent', '--connect', url, '--data', 'from-nanomsg', '-A']);
    await surveyor.whenConnected(2, 10_000);
    const answers = await surveyor.survey(Buffer.from('who'), { timeout: 1_000 }).collect();
    expect(answers.map((a) => String(a.body)).sort()).toEqual(['from-nanomsg', 'from-nng']);

    const req = track(new SpReqSocket({ logger }));
    const rep = await req.listen('tcp://127.0.0.1:0');
    box.spawn('nngcat', ['--rep0', '--dial', rep.url, '--data', 'nng', '-A']);
    box.spawn('nanocat', ['--rep', '--connect', rep.url, '--data', 'nanomsg', '-A']);
    await req.whenConnected(2, 10_000);
    const replies = await Promise.all(Array.from({ length: 4 }, () => req.request(Buffer.from('x'), { timeout: 10_000 })));
    expect(replies.map(String).sort()).toEqual(['nanomsg', 'nanomsg', 'nng', 'nng']);
  });
});

describe('mapper.survey() over SP', () => {
  it('collects the JSON answers of a listening nngcat --respondent0 and nanocat --respondent, next to the broker answers', async () => {
    const cluster = new TestCluster();
    try {
      await cluster.agent({ identity: 'agent-x', actors: [defineActor('discovery', { who: () => 'broker' })] }).start();
      const nng = `tcp://127.0.0.1:${await freePort()}`;
      const nano = `ipc://${box.ipcPath()}`;
      box.spawn('nngcat', ['--respondent0', '--listen', nng, '--data', '{"ok":true,"result":"from-nng"}', '-A']);
      box.spawn('nanocat', ['--respondent', '--bind', nano, '--data', '{"ok":false,"error":{"code":"NANITE_ERR_HANDLER","message":"from-nanomsg"}}', '-A']);
      const m = await cluster.startedMapper();
      // The surveyor dials each endpoint and surveys it once connected (the tools may still be starting).
      const answers = await m.survey('/discovery/who', 'x', { timeout: 3_000, endpoints: [nng, nano] }).collect();
      const got = Object.fromEntries(answers.map((a) => [a.agent, a.ok ? a.result : a.error.message]));
      expect(got).toEqual({ 'agent-x': 'broker', [nng]: 'from-nng', [nano]: 'from-nanomsg' });
    } finally {
      await closeCluster(cluster);
    }
  });
});
