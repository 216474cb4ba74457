/** The commander wiring: help, usage errors and their exit status, URL resolution from the environment. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '@nanite/core';
import { EXIT, NO_URL_MESSAGE, main } from '../src';
import { memoryUrl, quietLogger, testIo, type TestIo, simpleActor, SIMPLE_JS } from './helpers';

const argv = (...args: string[]): string[] => ['node', 'nanite', ...args];

describe('nanite (program)', () => {
  let dir: string;
  let io: TestIo;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nanite-program-'));
    io = testIo({ cwd: dir, home: dir });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints help listing every command, with examples, and exits 0', async () => {
    expect(await main(argv('--help'), io)).toBe(EXIT.OK);
    for (const cmd of ['agent', 'request', 'push', 'agents', 'mapper', 'admin', 'demo']) expect(io.stdout.text).toMatch(new RegExp(`^ {2}${cmd} `, 'm'));
    expect(io.stdout.text).toContain('Examples:');
    expect(io.stdout.text).toContain('.naniterc.json');
  });

  it.each(['agent', 'request', 'push', 'agents', 'mapper', 'admin', 'demo'])('%s --help shows examples', async (cmd) => {
    expect(await main(argv(cmd, '--help'), io)).toBe(EXIT.OK);
    expect(io.stdout.text).toContain(`Usage: nanite ${cmd}`);
    expect(io.stdout.text).toMatch(/Examples:\n {2}\$ nanite /);
  });

  it('admin --help prefers NANITE_ADMIN_TOKEN and documents --insecure-no-auth', async () => {
    expect(await main(argv('admin', '--help'), io)).toBe(EXIT.OK);
    expect(io.stdout.text).toMatch(/--auth-token <token>\s+require\s+this\s+bearer\s+token\s+on\s+the\s+API;\s+prefer\s+\$NANITE_ADMIN_TOKEN\s+\(a\s+flag\s+shows\s+in\s+`ps`\)/);
    expect(io.stdout.text).toContain('--insecure-no-auth');
    expect(io.stdout.text).not.toMatch(/\$ nanite admin .*--auth-token/);
  });

  it('admin refuses --host 0.0.0.0 without a token (exit 2), flag or environment alike', async () => {
    expect(await main(argv('admin', '--url', memoryUrl(), '--host', '0.0.0.0', '--port', '0'), io)).toBe(EXIT.USAGE);
    expect(io.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: Refusing to serve the Control Tower on 0\.0\.0\.0 without a token/);
  });

  it.each([
    ['admin', '--port', '70000'],
    ['admin', '--port', '-1'],
    ['admin', '--port', '80.5'],
    ['admin', '-p', 'http'],
    ['mapper', '--metrics-port', '70000'],
    ['agent', '--actors', 'a.js', '--metrics-port', '65536'],
  ])('every port flag takes an integer 0-65535: %j is a usage error (exit 2), not a RangeError', async (...args) => {
    expect(await main(argv(...args, '--url', memoryUrl()), io)).toBe(EXIT.USAGE);
    expect(io.stderr.text).toMatch(new RegExp(`error: option '(-p, )?--(metrics-)?port <port>' argument '${args[args.length - 1]!.replace('.', '\\.')}' is invalid\\. expected a port number, 0-65535; 0 picks a free one\\.`));
    expect(io.stderr.text).not.toContain('RangeError');
  });

  it('a port already in use exits 1 saying so in one line (admin --port, agent and mapper --metrics-port)', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = String((holder.address() as AddressInfo).port);
    try {
      for (const args of [['admin', '--port', port], ['mapper', '--metrics-port', port], ['agent', '--actors', SIMPLE_JS, '--metrics-port', port]]) {
        const busy = testIo({ cwd: dir, home: dir });
        expect(await main(argv(...args, '--url', memoryUrl()), busy)).toBe(EXIT.FAILURE);
        const flag = args[0] === 'admin' ? '--port' : '--metrics-port';
        expect(busy.stderr.text).toBe(`Error: ${flag}: port ${port} is in use on 127.0.0.1 (EADDRINUSE): stop what holds it, or pick another port (0: any free one)\n`);
      }
    } finally {
      holder.close();
    }
  });

  it('prints the version', async () => {
    expect(await main(argv('--version'), io)).toBe(EXIT.OK);
    expect(io.stdout.text.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 with the help on stderr when no command is given', async () => {
    expect(await main(argv(), io)).toBe(EXIT.USAGE);
    expect(io.stderr.text).toContain('Usage: nanite');
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['request', '/simple/echo', '--bogus'], /unknown option '--bogus'/],
    [['request'], /missing required argument 'route'/],
    [['request', '/simple/echo', '--selector', 'fastest'], /Allowed choices are least_loaded, all, random, round_robin/],
    [['request', '/simple/echo', '--timeout', 'soon'], /--timeout <duration>' argument 'soon' is invalid\. expected a duration \(500ms, 5s, 2m, or a number of ms\)/],
    [['agents', '--wait', '2 seconds'], /--wait <duration>' argument '2 seconds' is invalid/],
    [['agent', '--url', 'memory://x'], /required option '-a, --actors <paths...>' not specified/],
    [['agent', '--actors', 'a.js', '--concurrency', '0'], /expected a positive integer/],
    [['agent', '--actors', 'a.js', '--ping-interval', '-1'], /expected a duration/],
    [['agent', '--actors', 'a.js', '--ping-interval', '15'], /--ping-interval takes milliseconds now \(it took seconds before\): 15 would be 15 ms\. Write 15s/],
    [['agent', '--actors', 'a.js', '--drain-timeout', '30'], /--drain-timeout takes milliseconds now.*Write 30s for 30 seconds/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    expect(await main(argv(...args), io)).toBe(EXIT.USAGE);
    expect(io.stderr.text).toMatch(message);
    expect(io.stderr.text).toContain('(add --help for usage and examples)');
  });

  it('exits 2 and says where a URL can come from when none is given', async () => {
    expect(await main(argv('request', '/simple/echo'), io)).toBe(EXIT.USAGE);
    expect(io.stderr.text).toBe(`NANITE_ERR_INVALID_ARGUMENT: ${NO_URL_MESSAGE}\n`);
  });

  describe('with an agent on memory://', () => {
    let url: string;
    let agent: Agent;

    beforeEach(async () => {
      url = memoryUrl();
      agent = new Agent({ transport: url, identity: 'fred', actors: [simpleActor()], logger: quietLogger });
      await agent.start();
    });

    afterEach(async () => {
      await agent.stop();
    });

    it('takes the URL from --url', async () => {
      expect(await main(argv('request', '/simple/echo', '{"a":1}', '--url', url), io)).toBe(EXIT.OK);
      expect(io.stdout.text).toBe('{"a":1}\n');
    });

    it('takes the URL from NANITE_URL', async () => {
      const envIo = testIo({ cwd: dir, home: dir, env: { NANITE_URL: url } });
      expect(await main(argv('request', '/simple/echo'), envIo)).toBe(EXIT.OK);
      expect(envIo.stdout.text).toBe('"hello nanite"\n');
    });

    it('takes the URL from ./.naniterc.json', async () => {
      writeFileSync(join(dir, '.naniterc.json'), JSON.stringify({ url }));
      expect(await main(argv('request', '/simple/echo', 'from-rc'), io)).toBe(EXIT.OK);
      expect(io.stdout.text).toBe('"from-rc"\n');
    });

    it('passes repeatable --tag and --target through', async () => {
      expect(await main(argv('request', '/simple/echo', 'x', '--url', url, '--tag', 'eu', '--tag', 'gpu'), io)).toBe(EXIT.NO_AGENT);
      expect(io.stderr.text).toMatch(/none of the 1 agent\(s\) serving \/simple\/echo matches tags \[eu, gpu\]/);
      const io2 = testIo({ cwd: dir, home: dir });
      expect(await main(argv('request', '/simple/echo', 'x', '--url', url, '--target', 'fred'), io2)).toBe(EXIT.OK);
    });

    it('lists agents as JSON with agents --json', async () => {
      expect(await main(argv('agents', '--json', '--wait', '20ms', '--url', url), io)).toBe(EXIT.OK);
      expect((JSON.parse(io.stdout.text) as Array<{ identity: string }>).map((a) => a.identity)).toEqual(['fred']);
    });
  });
});
