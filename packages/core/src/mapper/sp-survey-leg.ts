/**
 * The SP leg of a survey: one SURVEYOR socket per endpoint (so each answer is known to come from
 * that endpoint's agent), dialed at once, surveyed as soon as it is connected, closed when the
 * survey ends. An endpoint that does not connect in time, or answers garbage, only costs its
 * answer: a survey never fails because some respondent stays silent.
 *
 * Body: JSON `{"route","payload"}`; answer: JSON `{"ok":true,"result":…}` or
 * `{"ok":false,"error":{"code","message"}}` (docs/sp.md).
 */
import { NaniteError, isNaniteErrorCode } from '../errors';
import type { Logger } from '../internal/logger';
import { SpSurveyorSocket } from '../transport/sp/sp-surveyor.socket';
import type { SurveyRun } from './survey-run';

/** An endpoint to survey and the agent name its answer is given. */
export interface SpTarget {
  url: string;
  agent: string;
}

/** Surveys `targets` over SP, pushing their answers into `run` until it ends; `skipped` hears of endpoints that could not be dialed. Never throws. */
export function surveyOverSp<R>(run: SurveyRun<R>, targets: readonly SpTarget[], question: { route: string; payload: unknown }, logger: Logger, skipped: (endpoint: string, err: unknown) => void): void {
  let body: Buffer;
  try {
    body = Buffer.from(JSON.stringify(question));
  } catch {
    return; // the broker leg already refused such a payload
  }
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.url)) continue;
    seen.add(t.url);
    let socket: SpSurveyorSocket;
    try {
      socket = new SpSurveyorSocket({ logger, name: `survey ${t.url}`, reconnectMax: 500 });
      socket.dial(t.url);
    } catch (err) {
      skipped(t.url, err);
      continue;
    }
    run.onEnd(() => void socket.close());
    void ask(run, socket, t, body);
  }
}

async function ask<R>(run: SurveyRun<R>, socket: SpSurveyorSocket, t: SpTarget, body: Buffer): Promise<void> {
  try {
    const left = run.deadline - Date.now();
    if (left <= 0) return;
    await socket.whenConnected(1, left);
    if (run.done) return;
    for await (const r of socket.survey(body, { deadline: run.deadline })) {
      run.push({ agent: t.agent, via: 'sp', ...parseAnswer<R>(r.body) });
      break; // one answer per endpoint
    }
  } catch {
    // Not connected before the deadline, or the survey ended and closed the socket: no answer.
  } finally {
    await socket.close();
  }
}

/** Reads an SP answer body; anything that is not the documented JSON is an error answer. */
function parseAnswer<R>(body: Buffer): { ok: true; result: R } | { ok: false; error: NaniteError } {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, error: new NaniteError('NANITE_ERR_MALFORMED_PACKET', { message: 'the SP answer is not JSON', data: { bytes: body.length } }) };
  }
  if (typeof v === 'object' && v !== null) {
    const r = v as Record<string, unknown>;
    if (r.ok === true) return { ok: true, result: r.result as R };
    if (r.ok === false && typeof r.error === 'object' && r.error !== null) {
      const e = r.error as Record<string, unknown>;
      const code = isNaniteErrorCode(e.code) ? e.code : 'NANITE_ERR_HANDLER';
      return { ok: false, error: new NaniteError(code, { message: typeof e.message === 'string' ? e.message : 'error', data: code === e.code ? e.data : { remoteCode: e.code } }) };
    }
  }
  return { ok: false, error: new NaniteError('NANITE_ERR_MALFORMED_PACKET', { message: 'the SP answer is not {"ok":…}' }) };
}
