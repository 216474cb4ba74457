import type { AgentView, RequestInfo, Selector } from './selector';

/** Every candidate: the request fans out and gathers one result per agent identity. */
export class AllSelector implements Selector {
  readonly fanOut = true;

  select(candidates: readonly AgentView[], _request?: RequestInfo): readonly AgentView[] {
    return candidates;
  }
}
