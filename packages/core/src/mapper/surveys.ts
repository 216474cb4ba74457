/**
 * A mapper's surveys: sends each one to every agent (the broker's fanout, so agents this mapper has
 * not heard of answer too) and, over SP, to explicit endpoints and listening agents; matches the
 * answers that come back by the survey's unguessable id. An answer for no running survey (late,
 * forged, or for another mapper's survey) is dropped and counted, as is a second answer of one agent
 * (e.g. a listening agent answering on both paths) and any beyond `maxAnswers`.
 */
import { randomBytes } from 'node:crypto';
import { NaniteError } from '../errors';
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';
import type { AnswerPacket, SurveyPacket } from '../protocol/packets';
import { parseSpUrl } from '../transport/sp/sp-url';
import type { MapperLink } from '../transport/transport';
import { surveyOverSp, type SpTarget } from './sp-survey-leg';
import { SurveyRun, type SurveyRunOwner } from './survey-run';
import { DEFAULT_MAX_ANSWERS, DEFAULT_SURVEY_TIMEOUT, MAX_SP_ENDPOINTS, MAX_SURVEYS, type SurveyOptions } from './survey.options';
import { MAX_TIMER_DELAY } from '../internal/timers';

/** What {@link Surveys} needs from its mapper. */
export interface SurveysSettings {
  identity: string;
  logger: Logger;
  link(): MapperLink | undefined;
  /** Known agents listening on an SP endpoint (Register `endpoint`) that serve `route` and carry every tag. */
  listening(route: string, tags: readonly string[]): Iterable<{ identity: string; endpoint: string }>;
}

/** Counters of a mapper's surveys. */
export interface SurveyStats {
  /** Surveys started. */
  surveys: number;
  /** Answers delivered to surveys. */
  answers: number;
  /** Answers dropped: for no running survey (late or forged), duplicates of an agent's answer, or beyond `maxAnswers`. */
  answersDropped: number;
}

/** The running surveys of one mapper. */
export class Surveys implements SurveyRunOwner {
  private readonly runs = new Map<string, SurveyRun<unknown>>();
  private counts: SurveyStats = { surveys: 0, answers: 0, answersDropped: 0 };
  private readonly droppedLog: BurstLog;
  /** Endpoints skipped (a listening agent's Register comes off the wire: its URL may be bad, every survey would say so). */
  private readonly skippedLog: BurstLog;

  constructor(private readonly s: SurveysSettings) {
    this.skippedLog = new BurstLog({ logger: s.logger, bindings: { mapper: s.identity }, message: 'survey: SP endpoints skipped (bad URL, or over 256 per survey; further ones in the next 10 s are only counted)' });
    this.droppedLog = new BurstLog({ logger: s.logger, bindings: { mapper: s.identity }, message: 'survey answers dropped (late, forged, duplicate or over maxAnswers; further ones in the next 10 s are only counted)' });
  }

  /** Counters since start. */
  get stats(): SurveyStats {
    return { ...this.counts };
  }

  /** Starts a survey; throws `NANITE_ERR_INVALID_ARGUMENT` or `NANITE_ERR_BUFFER_FULL`. */
  start<R>(route: string, payload: unknown, o: SurveyOptions): SurveyRun<R> {
    if (typeof route !== 'string' || route[0] !== '/') throw invalid(`route must be a string starting with /, got ${JSON.stringify(route)}`);
    const now = Date.now();
    const deadline = surveyDeadline(o, now);
    const maxAnswers = o.maxAnswers ?? DEFAULT_MAX_ANSWERS;
    if (!Number.isInteger(maxAnswers) || maxAnswers < 1) throw invalid(`maxAnswers must be a positive integer, got ${String(maxAnswers)}`);
    if (o.tags !== undefined && !(Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string' && t.length > 0))) throw invalid('tags must be an array of non-empty strings');
    if (this.runs.size >= MAX_SURVEYS) throw new NaniteError('NANITE_ERR_BUFFER_FULL', { message: `${MAX_SURVEYS} surveys are already running on mapper ${this.s.identity}` });
    const targets = this.spTargets(route, o);
    const id = randomBytes(12).toString('base64url');
    const run = new SurveyRun<R>(id, route, deadline, maxAnswers, this, o.signal);
    if (run.done) return run;
    // Answers off the wire are unknown until the caller reads them as R (its own assertion, as in request<R>()).
    this.runs.set(id, run as unknown as SurveyRun<unknown>);
    this.counts.surveys++;
    const packet: SurveyPacket = { v: 1, type: 'survey', id, route, payload, replyTo: this.s.identity, timeout: Math.max(1, Math.ceil(deadline - now)), sentAt: now };
    if (o.tags && o.tags.length > 0) packet.tags = [...o.tags];
    try {
      this.s.link()?.broadcast(packet);
    } catch (err) {
      // Nothing left running: a payload that cannot cross the wire fails the call itself.
      run.close();
      throw err;
    }
    if (targets.length > 0) surveyOverSp(run, targets, { route, payload }, this.s.logger, (endpoint, err) => this.skippedLog.record({ endpoint: endpoint.slice(0, 200), err }));
    return run;
  }

  /** A (validated) answer from the broker path. */
  onAnswer(p: AnswerPacket): void {
    const run = this.runs.get(p.id);
    if (!run) {
      this.dropped('unknown', p.from);
      return;
    }
    run.push(p.ok ? { agent: p.from, ok: true, result: p.result, via: 'broker' } : { agent: p.from, ok: false, error: NaniteError.fromJSON(p.error!), via: 'broker' });
  }

  /** Ends every survey (mapper closing). */
  closeAll(): void {
    for (const run of [...this.runs.values()]) run.close();
  }

  /** @internal SurveyRunOwner */
  ended(id: string, answered: number): void {
    if (this.runs.delete(id)) this.counts.answers += answered;
  }

  /** @internal SurveyRunOwner */
  dropped(reason: 'duplicate' | 'overflow' | 'unknown', agent: string): void {
    this.counts.answersDropped++;
    this.droppedLog.record({ reason, agent: agent.slice(0, 100) });
  }

  private spTargets(route: string, o: SurveyOptions): SpTarget[] {
    const targets: SpTarget[] = [];
    for (const e of o.endpoints ?? []) {
      if (typeof e === 'string' && e.length > 0) targets.push({ url: e, agent: e });
      else if (typeof e === 'object' && e !== null && typeof e.url === 'string' && typeof e.agent === 'string' && e.agent.length > 0) targets.push({ url: e.url, agent: e.agent });
      else throw invalid('endpoints must be SP URLs (tcp://host:port, ipc:///path) or { url, agent }');
      parseSpUrl(targets[targets.length - 1]!.url); // a bad URL fails the call, not silently its answer
    }
    if (o.direct !== false) for (const a of this.s.listening(route, o.tags ?? [])) targets.push({ url: a.endpoint, agent: a.identity });
    if (targets.length > MAX_SP_ENDPOINTS) {
      this.skippedLog.record({ endpoints: targets.length, max: MAX_SP_ENDPOINTS });
      targets.length = MAX_SP_ENDPOINTS;
    }
    return targets;
  }
}

/** The survey's end (epoch ms) from `deadline` / `timeout`; throws on nonsense. */
function surveyDeadline(o: SurveyOptions, now: number): number {
  if (o.deadline !== undefined) {
    if (typeof o.deadline !== 'number' || !Number.isFinite(o.deadline)) throw invalid('deadline must be epoch ms');
    if (o.deadline - now > MAX_TIMER_DELAY) throw invalid('deadline must be less than 24 days ahead');
    return o.deadline;
  }
  const timeout = o.timeout ?? DEFAULT_SURVEY_TIMEOUT;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMER_DELAY) throw invalid(`timeout must be a number of ms in [0, ${MAX_TIMER_DELAY}]`);
  return now + timeout;
}

function invalid(message: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message });
}
