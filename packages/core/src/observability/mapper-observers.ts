/** The observers of one mapper: those given at construction plus those attached later with `mapper.observe()`. */
import { combineMapperObservations } from './combine';
import { guardMapperObservation, type ObserverFault } from './guarded-observation';
import type { MapperObservation, MapperSource, Observer } from './observer';

/** Holds a mapper's observations; `current` is what the hot path calls (undefined: nobody listens). */
export class MapperObservers {
  /** All observations as one, or undefined when there are none. */
  current: MapperObservation | undefined;
  private list: MapperObservation[] = [];

  constructor(
    private readonly source: MapperSource,
    observers: readonly Observer[] | undefined,
    /** An observer's hook threw (it was skipped). */
    private readonly fault: ObserverFault,
  ) {
    for (const o of observers ?? []) this.add(o);
  }

  /** Attaches `observer`; returns the function that detaches it (and closes its observation). */
  add(observer: Observer): () => void {
    const given = observer.observeMapper?.(this.source);
    if (!given) return () => undefined;
    const observation = guardMapperObservation(given, this.fault);
    this.list = [...this.list, observation];
    this.current = combineMapperObservations(this.list);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.list = this.list.filter((o) => o !== observation);
      this.current = combineMapperObservations(this.list);
      observation.close();
    };
  }

  /** Closes every observation (the mapper closed). Idempotent. */
  close(): void {
    const list = this.list;
    this.list = [];
    this.current = undefined;
    for (const o of list) o.close();
  }
}
