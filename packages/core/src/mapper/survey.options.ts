/** Options and answers of `mapper.survey()`. */
import type { NaniteError } from '../errors';

/** Default survey duration (ms) when neither `deadline` nor `timeout` is given (nanomsg's and NNG's). */
export const DEFAULT_SURVEY_TIMEOUT = 1_000;
/** Default of {@link SurveyOptions.maxAnswers}. */
export const DEFAULT_MAX_ANSWERS = 10_000;
/** Surveys one mapper runs at once; more are refused with `NANITE_ERR_BUFFER_FULL`. */
export const MAX_SURVEYS = 1_024;
/** SP endpoints one survey dials at most (explicit ones and listening agents'); further ones are skipped and logged. */
export const MAX_SP_ENDPOINTS = 256;

/** Options of `mapper.survey()`. */
export interface SurveyOptions {
  /** When the survey ends (epoch ms, as in requests). Wins over `timeout`. */
  deadline?: number;
  /** How long the survey lasts (ms). Default {@link DEFAULT_SURVEY_TIMEOUT} when no `deadline`. */
  timeout?: number;
  /** Ends the survey early (the iteration ends; late answers are dropped). */
  signal?: AbortSignal;
  /** Only agents carrying every one of these tags answer. */
  tags?: readonly string[];
  /** Most answers kept; further ones are dropped and counted. Default {@link DEFAULT_MAX_ANSWERS}. */
  maxAnswers?: number;
  /**
   * SP endpoints (`tcp://host:port`, `ipc:///path`) to survey directly as a SURVEYOR, besides the
   * broker fanout: any SP RESPONDENT (nanomsg/NNG programs) that answers the JSON body
   * `{"route","payload"}` with `{"ok":true,"result":…}` or `{"ok":false,"error":{code,message}}`.
   * Their answers carry the URL as `agent`, or the `agent` given with it (`{ url, agent }`): an
   * agent answering on both paths is then heard once.
   */
  endpoints?: ReadonlyArray<string | { readonly url: string; readonly agent: string }>;
  /** Also survey, over SP, the endpoints that listening agents advertise (deduplicated with their broker answer). Default true. */
  direct?: boolean;
}

/** Which path an answer came by. */
export type SurveyPath = 'broker' | 'sp';

/** One agent's answer: its handler's result, or the error it threw (errors are answers too). */
export type SurveyAnswer<R = unknown> =
  | { readonly agent: string; readonly ok: true; readonly result: R; readonly via: SurveyPath }
  | { readonly agent: string; readonly ok: false; readonly error: NaniteError; readonly via: SurveyPath };
