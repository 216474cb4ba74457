/** Several observers behind one hook: the agent and mapper only ever call one (or none). */
import { guardAgentObservation, type ObserverFault } from './guarded-observation';
import type { AgentObservation, AgentSource, JobScope, JobStart, MapperObservation, Observer, RequestScope, RequestStart } from './observer';

/** One observation standing for all of `all` (undefined when empty). */
export function combineMapperObservations(all: readonly MapperObservation[]): MapperObservation | undefined {
  if (all.length <= 1) return all[0];
  return {
    begin: (start: RequestStart) => combineScopes(all.map((o) => o.begin(start))),
    close: () => all.forEach((o) => o.close()),
  };
}

/** The observation of an agent by every observer given (each guarded: `fault` hears of a hook that threw), or `undefined` when none observes. */
export function observeAgent(observers: readonly Observer[] | undefined, source: AgentSource, fault: ObserverFault): AgentObservation | undefined {
  const all = (observers ?? []).map((o) => o.observeAgent?.(source)).filter((o): o is AgentObservation => o !== undefined).map((o) => guardAgentObservation(o, fault));
  if (all.length <= 1) return all[0];
  return {
    begin: (start: JobStart) => combineJobScopes(all.map((o) => o.begin(start))),
    close: () => all.forEach((o) => o.close()),
  };
}

function combineScopes(list: Array<RequestScope | undefined>): RequestScope | undefined {
  const scopes = list.filter((s): s is RequestScope => s !== undefined);
  if (scopes.length <= 1) return scopes[0];
  return {
    traceparent: scopes.find((s) => s.traceparent !== undefined)?.traceparent,
    end: (error) => scopes.forEach((s) => s.end(error)),
  };
}

function combineJobScopes(list: Array<JobScope | undefined>): JobScope | undefined {
  const scopes = list.filter((s): s is JobScope => s !== undefined);
  if (scopes.length <= 1) return scopes[0];
  const runners = scopes.filter((s) => s.run !== undefined);
  return {
    traceparent: scopes.find((s) => s.traceparent !== undefined)?.traceparent,
    run: <T>(fn: () => T): T => runners.reduceRight<() => T>((inner, s) => () => s.run!(inner), fn)(),
    end: (error) => scopes.forEach((s) => s.end(error)),
  };
}
