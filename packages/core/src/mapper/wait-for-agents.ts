/** `Mapper.waitForAgents()`: resolves once enough live agents are in the registry. */
import { NaniteError } from '../errors';
import type { AgentView } from '../selectors/selector';
import type { AgentRecord, Registry } from './registry';
import type { RegistryWaiters } from './registry-waiters';
import type { WaitForAgentsOptions } from './wait-for-agents.options';

/**
 * Resolves once at least `count` agents (serving `route`, when given) are live; rejects with
 * `NANITE_ERR_TIMEOUT` after `timeout` ms, or the close's error (`NANITE_ERR_SHUTTING_DOWN`) when the mapper closes first.
 */
export function waitForAgents(registry: Registry, waiters: RegistryWaiters, options: WaitForAgentsOptions): Promise<AgentView[]> {
  const count = options.count ?? 1;
  const matching = (): AgentRecord[] => (options.route ? [...registry.serving(options.route)] : [...registry.all()]);
  return new Promise((resolve, reject) => {
    waiters.wait(
      () => matching().length >= count,
      options.timeout ?? 10_000,
      () => resolve(matching().map((a) => a.snapshot())),
      (closed) => reject(closed ?? new NaniteError('NANITE_ERR_TIMEOUT', { message: `Fewer than ${count} agent(s)${options.route ? ` serving ${options.route}` : ''} after ${options.timeout ?? 10_000} ms` })),
    );
  });
}
