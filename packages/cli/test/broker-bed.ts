/**
 * Per test against the real broker: a CliRunner and a prefix of the test's own; after each test every
 * process is killed and the prefix's exchanges and the given routes' park queues are removed.
 */
import { removeTopology, uniquePrefix, urlWithPrefix } from './broker';
import { CliRunner, eventually, type CliProcess } from './spawn';

export interface BrokerBed {
  readonly cli: CliRunner;
  /** The broker URL with this test's prefix. */
  readonly url: string;
  /** Starts `nanite agent --actors ... --token TOKEN` (1 s pings) and waits until it says it started. */
  agent(token: string, actors: readonly string[], extra?: readonly string[], env?: Record<string, string>): Promise<CliProcess>;
}

export function useBrokerBed(routes: readonly string[]): BrokerBed {
  let state: { cli: CliRunner; prefix: string; url: string } | undefined;
  const current = (): { cli: CliRunner; prefix: string; url: string } => {
    if (state === undefined) throw new Error('useBrokerBed(): only inside a test');
    return state;
  };
  beforeEach(() => {
    const prefix = uniquePrefix();
    state = { cli: new CliRunner(), prefix, url: urlWithPrefix(prefix) };
  });
  afterEach(async () => {
    const { cli, prefix } = current();
    await cli.killAll();
    await removeTopology([prefix], routes);
  });
  return {
    get cli() {
      return current().cli;
    },
    get url() {
      return current().url;
    },
    async agent(token, actors, extra = [], env) {
      const { cli, url } = current();
      const proc = cli.start(['agent', '--url', url, '--actors', ...actors, '--token', token, '--ping-interval', '1s', ...extra], { env });
      await eventually(() => proc.stdout.includes('"msg":"agent started"') || proc.child.exitCode !== null, `agent ${token} to start`);
      if (proc.child.exitCode !== null) throw new Error(`agent ${token} exited ${proc.child.exitCode}: ${proc.stderr}`);
      return proc;
    },
  };
}
