/**
 * `nanite broker setup` on the real broker (rabbitmqctl): the vhost and both users it creates are
 * enough for an agent and a mapper, each with its own least-privilege user. Removes what it made.
 */
import { execFileSync } from 'node:child_process';
import { Agent, defineActor, Mapper } from '@nanite/core';
import { runBrokerSetup } from '../src';
import { quietLogger, testIo } from './helpers';

const tag = `nt-setup-${process.pid}-${Date.now().toString(36)}`;
const ctl = (...args: string[]): void => void execFileSync('rabbitmqctl', args, { stdio: 'ignore' });

afterAll(() => {
  for (const args of [['delete_vhost', tag], ['delete_user', `${tag}-agent`], ['delete_user', `${tag}-mapper`]]) {
    try {
      ctl(...args);
    } catch {
      // already gone (a failed setup may not have made it)
    }
  }
});

test('--dry-run prints the rabbitmqctl commands with the documented permissions', async () => {
  const io = testIo();
  expect(await runBrokerSetup({ vhost: 'shop', prefix: 'shop', dryRun: true }, io)).toBe(0);
  expect(io.stdout.text).toContain("rabbitmqctl 'add_vhost' 'shop'");
  expect(io.stdout.text).toContain("'set_permissions' '-p' 'shop' 'shop-agent' '^shop\\.(heartbeat|advertise|agent|reply|park)$|^shop\\.(agent|park)\\..*'");
  expect(io.stdout.text).toContain('<mapper-password>');
  // The mapper row of docs/amqp.md, roster gossip included; no default exchange unless asked for.
  expect(io.stdout.text).toContain("'shop-mapper' '^shop\\.(heartbeat|advertise|agent|reply|park|gossip)$|^shop\\.(mapper|park|gossip)\\..*' '^shop\\.(agent|advertise|park|gossip)$|^shop\\.(mapper|park|gossip)\\..*' '^shop\\.(heartbeat|reply|park|gossip)$|^shop\\.(mapper|gossip)\\..*'");
  const fast = testIo();
  expect(await runBrokerSetup({ vhost: 'shop', prefix: 'shop', defaultExchange: true, dryRun: true }, fast)).toBe(0);
  expect(fast.stdout.text).toContain("'shop-mapper' '^shop\\.(heartbeat|advertise|agent|reply|park|gossip)$|^shop\\.(mapper|park|gossip)\\..*' '^shop\\.(agent|advertise|park|gossip)$|^shop\\.(mapper|park|gossip)\\..*|^amq\\.default$'");
});

test('names rabbitmqctl would read as options are refused before anything runs', async () => {
  for (const o of [{ vhost: 'shop', prefix: '-shop' }, { vhost: '-shop', prefix: 'shop' }, { vhost: 'shop', prefix: 'shop', agentUser: '-x' }]) {
    const io = testIo();
    const calls: Array<readonly string[]> = [];
    expect(await runBrokerSetup(o, io, async (args) => void calls.push(args))).not.toBe(0);
    expect(io.stderr.text).toContain('NANITE_ERR_INVALID_ARGUMENT');
    expect(calls).toEqual([]);
  }
});

test('the users it creates run an agent and a mapper on the new vhost', async () => {
  const io = testIo();
  // stderr in the comparison: when rabbitmqctl fails (exit 5), the failure shows why.
  const code = await runBrokerSetup({ vhost: tag, prefix: tag }, io);
  expect({ code, stderr: io.stderr.text }).toEqual({ code: 0, stderr: '' });
  const url = (role: string): string => {
    const m = new RegExp(`amqp://${tag}-${role}:([^@]+)@`).exec(io.stdout.text);
    return `amqp://${tag}-${role}:${m![1]}@127.0.0.1:5672/${encodeURIComponent(tag)}?prefix=${tag}`;
  };
  const agent = new Agent({ transport: url('agent'), identity: 'worker', actors: [defineActor('echo', { hi: (p: unknown) => p })], logger: quietLogger });
  const mapper = new Mapper({ transport: url('mapper'), logger: quietLogger });
  try {
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/echo/hi', timeout: 10_000 });
    expect(await mapper.request('/echo/hi', 'ok')).toBe('ok');
  } finally {
    await mapper.close();
    await agent.stop();
  }
});
