/**
 * OpenTelemetry tracing through `@opentelemetry/api` (an optional peer dependency, loaded when this
 * adapter is created): a client span per mapper request, a server span per handler, joined into one
 * trace by the W3C `traceparent` each request carries. Whatever SDK the app registers records them.
 *
 * ```ts
 * const tracing = openTelemetryTracing();          // the global tracer provider, or { tracerProvider }
 * new Agent({ transport, actors, observers: [tracing] });
 * new Mapper({ transport, observers: [tracing] });
 * ```
 */
import type * as OtelApi from '@opentelemetry/api';
import type { NaniteError } from '../errors';
import { loadPeer } from './load-peer';
import type { AgentObservation, AgentSource, JobScope, JobStart, MapperObservation, MapperSource, Observer, RequestScope, RequestStart } from './observer';
import { formatTraceParent, parseTraceParent } from './trace-context';

/** Options of {@link openTelemetryTracing}. */
export interface OpenTelemetryTracingOptions {
  /** Where spans go; default: the global provider (`trace.getTracerProvider()`, which follows an SDK registered later). */
  tracerProvider?: OtelApi.TracerProvider;
}

const TRACER_NAME = '@nanite/core';
/** The end of a span nobody records (ending a non-recording span does nothing). */
const NOTHING = (): void => undefined;

/** The OpenTelemetry adapter: an {@link Observer} that makes spans. */
export class OpenTelemetryTracing implements Observer {
  private readonly api: typeof OtelApi;
  private readonly tracer: OtelApi.Tracer;

  constructor(options: OpenTelemetryTracingOptions = {}) {
    this.api = loadPeer<typeof OtelApi>('@opentelemetry/api', 'OpenTelemetry tracing');
    // The global provider hands out a proxy tracer that follows an SDK registered later.
    this.tracer = (options.tracerProvider ?? this.api.trace.getTracerProvider()).getTracer(TRACER_NAME);
  }

  /** @internal Observer */
  observeMapper(source: MapperSource): MapperObservation {
    return {
      begin: (start: RequestStart): RequestScope | undefined => {
        const api = this.api;
        const parent = start.traceparent !== undefined ? this.remote(start.traceparent) ?? api.context.active() : api.context.active();
        const span = this.tracer.startSpan(`${start.kind} ${start.route}`, { kind: start.kind === 'push' ? api.SpanKind.PRODUCER : api.SpanKind.CLIENT }, parent);
        const traceparent = this.traceparentOf(span) ?? start.traceparent;
        // A span nobody records (no SDK, or sampled out): only its context, if any, travels on.
        if (!span.isRecording()) return traceparent === start.traceparent ? undefined : { traceparent, end: NOTHING };
        span.setAttributes({ 'rpc.system': 'nanite', 'rpc.method': start.route, 'nanite.route': start.route, 'nanite.mapper': source.identity });
        return { traceparent, end: (error) => this.end(span, error) };
      },
      close: () => undefined,
    };
  }

  /** @internal Observer */
  observeAgent(source: AgentSource): AgentObservation {
    return {
      begin: (start: JobStart): JobScope | undefined => {
        const api = this.api;
        const parent = (start.traceparent !== undefined ? this.remote(start.traceparent) : undefined) ?? api.ROOT_CONTEXT;
        const span = this.tracer.startSpan(`handle ${start.route}`, { kind: start.kind === 'push' ? api.SpanKind.CONSUMER : api.SpanKind.SERVER }, parent);
        const traceparent = this.traceparentOf(span) ?? start.traceparent;
        // A span nobody records (no SDK, or sampled out): no attributes, nothing to run the handler inside.
        if (!span.isRecording()) return traceparent === start.traceparent ? undefined : { traceparent, end: NOTHING };
        span.setAttributes({
          'rpc.system': 'nanite', 'rpc.method': start.route, 'nanite.route': start.route, 'nanite.agent': source.identity,
          'nanite.request_id': start.requestId, 'nanite.hops': start.hops, 'nanite.queue_wait_ms': start.queuedMs,
        });
        const ctx = api.trace.setSpan(parent, span);
        return {
          traceparent,
          // The handler runs in its span's context: spans it starts (and calls it makes) are its children.
          run: <T>(fn: () => T): T => api.context.with(ctx, fn),
          end: (error) => this.end(span, error),
        };
      },
      close: () => undefined,
    };
  }

  /** A context whose parent is the remote span of `traceparent`; undefined for an invalid one. */
  private remote(traceparent: string): OtelApi.Context | undefined {
    const p = parseTraceParent(traceparent);
    if (!p) return undefined;
    return this.api.trace.setSpanContext(this.api.ROOT_CONTEXT, { traceId: p.traceId, spanId: p.spanId, traceFlags: p.flags & 1, isRemote: true });
  }

  private traceparentOf(span: OtelApi.Span): string | undefined {
    const sc = span.spanContext();
    if (!this.api.isSpanContextValid(sc)) return undefined;
    return formatTraceParent(sc.traceId, sc.spanId, (sc.traceFlags & this.api.TraceFlags.SAMPLED) !== 0);
  }

  private end(span: OtelApi.Span, error: NaniteError | undefined): void {
    if (error) {
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.message });
      span.setAttribute('nanite.error.code', error.code);
      span.setAttribute('error.type', error.code);
    }
    span.end();
  }
}

/** An {@link OpenTelemetryTracing}; throws `NANITE_ERR_MISSING_DEPENDENCY` when `@opentelemetry/api` is not installed. */
export function openTelemetryTracing(options: OpenTelemetryTracingOptions = {}): OpenTelemetryTracing {
  return new OpenTelemetryTracing(options);
}
