/**
 * The metrics read at scrape time (prom-client `collect`): gauges and counters kept by agents,
 * mappers and transports anyway, so they cost nothing between scrapes.
 */
import type * as PromClient from 'prom-client';
import type { AgentSource, MapperSource } from './observer';
import { OTHER_LABEL } from './route-labels';
import type { TransportWatch } from './transport-watch';

/** What the scrape reads. */
export interface ScrapeSources {
  mappers: Set<MapperSource>;
  agents: Set<AgentSource>;
  transports: TransportWatch;
  /** Agents per mapper given their own series. */
  maxAgents: number;
}

type Prom = typeof PromClient;
type Labels = Record<string, string | number>;
/** Sets every series of one metric from scratch at each scrape (series of gone agents vanish). */
type Fill = (set: (labels: Labels, value: number) => void) => void;

/** Registers the scrape-time metrics on `registers`. */
export function registerScrapeMetrics(prom: Prom, registers: PromClient.Registry[], s: ScrapeSources): void {
  const gauge = (name: string, help: string, labelNames: string[], fill: Fill): void => {
    new prom.Gauge({ name, help, labelNames, registers, collect() {
      this.reset();
      fill((labels, value) => this.set(labels, value));
    } });
  };
  // A counter whose value a source keeps: reset and set to the source's total at each scrape.
  const counter = (name: string, help: string, labelNames: string[], fill: Fill): void => {
    new prom.Counter({ name, help, labelNames, registers, collect() {
      this.reset();
      fill((labels, value) => this.inc(labels, Math.max(0, value)));
    } });
  };

  gauge('nanite_mapper_pending', 'Requests a mapper is waiting on', ['mapper'], (set) => {
    for (const m of s.mappers) set({ mapper: m.identity }, m.stats().pending);
  });
  gauge('nanite_mapper_held_pushes', 'Pushes handed back by their agent, waiting (at most the failover window) for another to take them', ['mapper'], (set) => {
    for (const m of s.mappers) set({ mapper: m.identity }, m.stats().heldPushes);
  });
  gauge('nanite_mapper_agents', "Agents a mapper knows, by state: its roster's joining, up, suspect, down, removed, unknown-since-restart (docs/roster.md); without a roster (roster: false) live (taking work) and suspended (stopped taking work or unreachable)", ['mapper', 'state'], (set) => {
    for (const m of s.mappers) {
      const states = m.rosterStates?.();
      if (states) {
        for (const [state, n] of states) set({ mapper: m.identity, state }, n);
        continue;
      }
      let live = 0;
      let suspended = 0;
      for (const a of m.agents()) if (a.suspended) suspended++; else live++;
      set({ mapper: m.identity, state: 'live' }, live);
      set({ mapper: m.identity, state: 'suspended' }, suspended);
    }
  });
  const perAgent = (field: 'inFlight' | 'pending') => (set: (labels: Labels, value: number) => void) => {
    for (const m of s.mappers) {
      let n = 0;
      let other = 0;
      for (const a of m.agents()) {
        if (n++ < s.maxAgents) set({ mapper: m.identity, agent: a.identity }, a[field]);
        else other += a[field];
      }
      if (n > s.maxAgents) set({ mapper: m.identity, agent: OTHER_LABEL }, other);
    }
  };
  gauge('nanite_mapper_agent_in_flight', 'Handlers running on each agent, as its last ping said', ['mapper', 'agent'], perAgent('inFlight'));
  gauge('nanite_mapper_agent_pending', 'Requests this mapper sent each agent that have not completed', ['mapper', 'agent'], perAgent('pending'));
  counter('nanite_mapper_redispatches_total', 'Requests re-sent to another agent (failover) after theirs was unreachable or lost', ['mapper'], (set) => {
    for (const m of s.mappers) set({ mapper: m.identity }, m.stats().redispatched);
  });
  counter('nanite_mapper_faults_total', 'Faults a mapper counted (selector, listener, stray replies and returns, refused agents, clamped values, expired before send...)', ['mapper', 'fault'], (set) => {
    for (const m of s.mappers) {
      const st = m.stats();
      for (const fault of ['selectorFaults', 'listenerFaults', 'strayReplies', 'strayReturns', 'undeliveredPushes', 'refusedAgents', 'clamped', 'unansweredPings', 'unsentCancels', 'expiredBeforeSend'] as const) {
        set({ mapper: m.identity, fault }, st[fault]);
      }
    }
  });
  counter('nanite_malformed_packets_total', 'Packets dropped because they failed validation, by kind', ['role', 'node', 'kind'], (set) => {
    for (const m of s.mappers) for (const [kind, n] of m.malformed()) set({ role: 'mapper', node: m.identity, kind }, n);
    for (const a of s.agents) for (const [kind, n] of a.malformed()) set({ role: 'agent', node: a.identity, kind }, n);
  });

  gauge('nanite_agent_in_flight', 'Handlers running on an agent', ['agent'], (set) => {
    for (const a of s.agents) set({ agent: a.identity }, a.inFlight());
  });
  gauge('nanite_agent_queued', 'Requests waiting in an agent for a free slot', ['agent'], (set) => {
    for (const a of s.agents) set({ agent: a.identity }, a.queued());
  });
  gauge('nanite_agent_concurrency', 'Handlers an agent runs at once', ['agent'], (set) => {
    for (const a of s.agents) set({ agent: a.identity }, a.concurrency);
  });
  gauge('nanite_agent_max_queued', 'Bound of the waiting queue of an agent', ['agent'], (set) => {
    for (const a of s.agents) set({ agent: a.identity }, a.maxQueued);
  });
  counter('nanite_agent_dropped_total', 'Work an agent did not run: expired (deadline passed while queued), overloaded (queue full), shed (stopping)', ['agent', 'reason'], (set) => {
    for (const a of s.agents) {
      const st = a.stats();
      set({ agent: a.identity, reason: 'expired' }, st.expired);
      set({ agent: a.identity, reason: 'overloaded' }, st.overloaded);
      set({ agent: a.identity, reason: 'shed' }, st.shed);
    }
  });
  counter('nanite_agent_status_faults_total', 'Times the status function threw or returned a non-finite number', ['agent'], (set) => {
    for (const a of s.agents) set({ agent: a.identity }, a.stats().statusFaults);
  });

  gauge('nanite_transport_connected', '1 while the transport is connected', ['transport'], (set) => {
    for (const t of s.transports.samples()) set({ transport: t.url }, t.connected ? 1 : 0);
  });
  counter('nanite_transport_reconnects_total', 'Times the transport came back after losing its connection', ['transport'], (set) => {
    for (const t of s.transports.samples()) set({ transport: t.url }, t.reconnects);
  });
  counter('nanite_transport_outage_seconds_total', 'Time spent disconnected (the current outage included)', ['transport'], (set) => {
    for (const t of s.transports.samples()) set({ transport: t.url }, t.outageSeconds);
  });
  gauge('nanite_transport_stat', "The transport's own counters and depths (amqp://: replyCacheEntries, droppedRedeliveries...)", ['transport', 'stat'], (set) => {
    for (const t of s.transports.samples()) for (const [stat, v] of Object.entries(t.stats)) set({ transport: t.url, stat }, v);
  });
}
