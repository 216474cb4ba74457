/**
 * SURVEYOR (protocol 0x62): asks every connected RESPONDENT at once and collects the answers that
 * arrive before a deadline (nanomsg's `NN_SURVEYOR_DEADLINE`, NNG's `NNG_OPT_SURVEYOR_SURVEYTIME`).
 * Like NNG's surveyor0 with contexts, several surveys may run at once, each with its own id.
 */
import { NaniteError } from '../../errors';
import { encodeId, leadingId, SpIdAllocator } from './sp-ids';
import { checkInteger, stripUndefined, type SpSocketOptions } from './sp-options';
import type { SpPipe } from './sp-pipe';
import { SpSocket, type SpSocketStats } from './sp-socket';
import { SpSurvey, type SpSurveyOwner } from './sp-survey';
import { isAbortSignal } from '../../internal/abort-signal';
import { MAX_TIMER_DELAY } from '../../internal/timers';

/** Options of {@link SpSurveyorSocket}. */
export interface SpSurveyorOptions extends SpSocketOptions {
  /** Default survey duration (ms). Default 1 000 (as nanomsg and NNG). */
  surveyTime?: number;
  /** Surveys running at once; more are refused with `NANITE_ERR_BUFFER_FULL`. Default 1 024. */
  maxSurveys?: number;
  /** Unread answers a survey buffers; more are dropped (`overflow`). Default 10 000. */
  maxResponses?: number;
}

/** Options of one {@link SpSurveyorSocket.survey}. */
export interface SpSurveyOptions {
  /** Duration (ms). Default the socket's `surveyTime`. */
  timeout?: number;
  /** End as epoch ms (wins over `timeout`). */
  deadline?: number;
  /** Ends the survey early (like cancel()). */
  signal?: AbortSignal;
}

/** Counters of a {@link SpSurveyorSocket}. */
export interface SpSurveyorStats extends SpSocketStats {
  surveys: number;
  responses: number;
  /** Surveys running now. */
  active: number;
}

/** A SURVEYOR socket. `for await (const answer of surveyor.survey(body)) ...` */
export class SpSurveyorSocket extends SpSocket {
  private readonly surveyTime: number;
  private readonly maxSurveys: number;
  private readonly maxResponses: number;
  private readonly ids = new SpIdAllocator();
  private readonly active = new Map<number, SpSurvey>();
  /** Per running survey, the pipes it was sent to that have not answered yet: only they may answer, once each. */
  private readonly unanswered = new Map<SpSurvey, Set<number>>();
  private readonly aborts = new Map<SpSurvey, () => void>();
  private counts = { surveys: 0, responses: 0 };
  private readonly owner: SpSurveyOwner = {
    surveyEnded: (survey) => this.surveyEnded(survey),
    surveyOverflow: (pipe) => this.fault('overflow', this.pipes.get(pipe.id)),
  };

  constructor(options: SpSurveyorOptions = {}) {
    super('surveyor', options);
    const o = { surveyTime: 1_000, maxSurveys: 1_024, maxResponses: 10_000, ...stripUndefined(options) };
    this.surveyTime = checkInteger('surveyTime', o.surveyTime, 1, MAX_TIMER_DELAY);
    this.maxSurveys = checkInteger('maxSurveys', o.maxSurveys, 1, 1_000_000);
    this.maxResponses = checkInteger('maxResponses', o.maxResponses, 1, 10_000_000);
  }

  /**
   * Sends `body` to every ready pipe now (respondents that connect later do not get it) and
   * returns the survey, whose answers can be iterated until its deadline. Throws
   * `NANITE_ERR_INVALID_ARGUMENT`, `NANITE_ERR_BUFFER_FULL` (too many surveys) or
   * `NANITE_ERR_SHUTTING_DOWN`.
   */
  survey(body: Uint8Array, options: SpSurveyOptions = {}): SpSurvey {
    if (!(body instanceof Uint8Array)) throw invalid('survey body must be a Uint8Array (Buffer)');
    if (body.length + 4 > this.options.maxMessageSize) throw invalid(`survey of ${body.length} bytes exceeds maxMessageSize`);
    const timeout = options.timeout ?? this.surveyTime;
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_TIMER_DELAY) throw invalid(`timeout must be an integer in [0, ${MAX_TIMER_DELAY}] (ms)`);
    if (options.signal !== undefined && !isAbortSignal(options.signal)) throw invalid('signal must be an AbortSignal');
    if (options.deadline !== undefined && (!Number.isFinite(options.deadline) || options.deadline - Date.now() > MAX_TIMER_DELAY)) {
      throw invalid('deadline must be epoch ms, less than 24 days ahead');
    }
    this.assertOpen();
    if (this.active.size >= this.maxSurveys) {
      throw new NaniteError('NANITE_ERR_BUFFER_FULL', { message: `${this.maxSurveys} SP surveys are already running` });
    }
    const id = this.ids.allocate((candidate) => this.active.has(candidate));
    const header = encodeId(id);
    const sentTo = new Set<number>();
    for (const pipe of this.pipes.values()) if (pipe.send([header, body])) sentTo.add(pipe.id);
    const deadline = options.deadline ?? Date.now() + timeout;
    const survey = new SpSurvey(id, deadline, sentTo.size, this.maxResponses, this.owner);
    this.counts.surveys++;
    if (!survey.done) {
      this.active.set(id, survey);
      this.unanswered.set(survey, sentTo);
    }
    if (options.signal && !survey.done) {
      const onAbort = (): void => survey.cancel();
      if (options.signal.aborted) survey.cancel();
      else {
        options.signal.addEventListener('abort', onAbort, { once: true });
        this.aborts.set(survey, () => options.signal?.removeEventListener('abort', onAbort));
      }
    }
    return survey;
  }

  override stats(): SpSurveyorStats {
    return { ...super.stats(), ...this.counts, active: this.active.size };
  }

  private surveyEnded(survey: SpSurvey): void {
    this.active.delete(survey.id);
    this.unanswered.delete(survey);
    this.aborts.get(survey)?.();
    this.aborts.delete(survey);
  }

  protected onMessage(pipe: SpPipe, message: Buffer): void {
    const id = leadingId(message);
    if (id < 0) return this.fault('malformed', pipe);
    const survey = this.active.get(id);
    if (!survey) return this.fault(this.ids.issuedRecently(id) ? 'late' : 'unknown-id', pipe);
    // An answer from a connection the survey never went to (ids are guessable), or a second one
    // from the same connection, is not believed: one respondent, one answer.
    if (!this.unanswered.get(survey)?.delete(pipe.id)) return this.fault('wrong-pipe', pipe);
    this.counts.responses++;
    survey.push({ body: message.subarray(4), pipe: pipe.info });
  }

  protected onPipeReady(): void {}
  protected onPipeClosed(): void {}
  protected onDrain(): void {}

  protected onClose(): void {
    for (const s of [...this.active.values()]) s.cancel();
  }
}

function invalid(message: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message });
}
