/**
 * An agent's SP endpoint against the reference tools (scripts/ensure-sp-tools.sh installs them):
 * `nngcat --req0` and `nanocat --req` call an actor with a JSON body and print the documented JSON
 * reply; `nngcat --surveyor0` and `nanocat --surveyor` survey two listening agents and print both
 * answers. Over tcp:// and ipc://; memory:// is the control plane (the tools need none).
 */
import { Agent, MemoryBusRegistry, MemoryTransport, defineActor } from '../src';
import { RecordingLogger } from './helpers';
import { SpToolbox } from './sp-tools';

const box = new SpToolbox();
const agents: Agent[] = [];
const logger = new RecordingLogger();

afterEach(async () => {
  await box.cleanup();
  for (const a of agents.splice(0)) await a.close();
});

const simple = defineActor('simple', {
  echo: (payload: unknown) => payload,
  who: (_p: unknown, ctx) => ctx.agent,
});

async function listening(identity: string, kind: 'tcp' | 'ipc'): Promise<Agent> {
  const agent = new Agent({
    transport: new MemoryTransport({ name: 'interop', registry: new MemoryBusRegistry() }),
    identity,
    actors: [simple],
    logger,
    listen: kind === 'tcp' ? 'tcp://127.0.0.1:0' : `ipc://${box.ipcPath()}`,
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

const TOOLS = {
  nngcat: { req: '--req0', surveyor: '--surveyor0' },
  nanocat: { req: '--req', surveyor: '--surveyor' },
} as const;

describe.each([
  ['nngcat', 'tcp'],
  ['nngcat', 'ipc'],
  ['nanocat', 'tcp'],
  ['nanocat', 'ipc'],
] as const)('%s against an agent endpoint over %s', (tool, kind) => {
  it(`${TOOLS[tool].req} calls /simple/echo and gets {"ok":true,"result":"hi"}`, async () => {
    const agent = await listening('solo', kind);
    const t = box.spawn(tool, [TOOLS[tool].req, tool === 'nngcat' ? '--dial' : '--connect', agent.endpoint!, '--data', '{"route":"/simple/echo","payload":"hi"}', '-A']);
    await t.waitFor('{"ok":true,"result":"hi"}');
    expect(await t.exited).toBe(0);
  });

  it(`${TOOLS[tool].req} with an unknown route gets an error reply body`, async () => {
    const agent = await listening('solo', kind);
    const t = box.spawn(tool, [TOOLS[tool].req, tool === 'nngcat' ? '--dial' : '--connect', agent.endpoint!, '--data', '{"route":"/no/such"}', '-A']);
    await t.waitFor('{"ok":false,"error":{"code":"NANITE_ERR_UNKNOWN_ROUTE"');
    expect(await t.exited).toBe(0);
  });

  it(`${TOOLS[tool].surveyor} surveys two listening agents and receives both answers`, async () => {
    const a = await listening('alpha', kind);
    const b = await listening('beta', kind);
    const dial = tool === 'nngcat' ? '--dial' : '--connect';
    // The tool surveys once after 1 s (time for both connections to come up), then exits at its deadline.
    const t = box.spawn(tool, [TOOLS[tool].surveyor, dial, a.endpoint!, dial, b.endpoint!, '--data', '{"route":"/simple/who"}', '-A', '-d', '1']);
    await t.waitFor('{"ok":true,"result":"alpha"}');
    await t.waitFor('{"ok":true,"result":"beta"}');
    expect(await t.exited).toBe(0);
  });
});
