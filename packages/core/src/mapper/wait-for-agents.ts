/** `Mapper.waitForAgents()`: resolves once enough live agents are in the registry. */
import { NaniteError } from '../errors';
import { countOption, waitOption } from './mapper-errors';
import type { AgentView } from '../selectors/selector';
import type { AgentRecord, Registry } from './registry';
import type { RegistryWaiters } from './registry-waiters';
import type { WaitForAgentsOptions } from './wait-for-agents.options';

/**
 * Resolves once at least `count` agents (serving `route`, when given) are live; rejects with
 * `NANITE_ERR_TIMEOUT` after `timeout` ms, or the close's error (`NANITE_ERR_SHUTTING_DOWN`) when the mapper closes first.
 */
export function waitForAgents(registry: Registry, waiters: RegistryWaiters, options: WaitForAgentsOptions): Promise<AgentView[]> {
  const count = countOption('count', options.count, 1);
  const timeout = waitOption('timeout', options.timeout, 10_000);
  if (options.route !== undefined && typeof options.route !== 'string') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'route must be a string' });
  const matching = (): AgentRecord[] => (options.route ? [...registry.serving(options.route)] : [...registry.all()]);
  return new Promise((resolve, reject) => {
    waiters.wait(
      () => matching().length >= count,
      timeout,
      () => resolve(matching().map((a) => a.snapshot())),
      (closed) => reject(closed ?? new NaniteError('NANITE_ERR_TIMEOUT', { message: `Fewer than ${count} agent(s)${options.route ? ` serving ${options.route}` : ''} after ${timeout} ms` })),
    );
  });
}
