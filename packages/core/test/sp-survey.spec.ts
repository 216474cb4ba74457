/** SURVEYOR and RESPONDENT over loopback: deadlines, late answers, concurrent surveys. */
import { SpRespondentSocket, SpSurveyorSocket, type SpRequest, type SpSocket } from '../src';
import { RecordingLogger } from './helpers';

const sockets: SpSocket[] = [];
afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

function track<T extends SpSocket>(s: T): T {
  sockets.push(s);
  return s;
}
const quiet = (): RecordingLogger => new RecordingLogger();

async function until(cond: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}

/** A listening surveyor with `n` respondents dialed in; `answer` decides each respondent's reply. */
async function fleet(n: number, answer: (i: number, r: SpRequest) => void | Buffer): Promise<{ surveyor: SpSurveyorSocket; respondents: SpRespondentSocket[] }> {
  const surveyor = track(new SpSurveyorSocket({ logger: quiet() }));
  const { url } = await surveyor.listen('tcp://127.0.0.1:0');
  const respondents = Array.from({ length: n }, (_, i) => {
    const r = track(new SpRespondentSocket({ logger: quiet(), handler: (req) => answer(i, req) }));
    r.dial(url);
    return r;
  });
  await surveyor.whenConnected(n, 5_000);
  await Promise.all(respondents.map((r) => r.whenConnected(1, 5_000)));
  return { surveyor, respondents };
}

describe('SP surveys', () => {
  it('collects answers until the deadline, then ends; later answers are dropped and counted as late', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance'] });
    const slow: SpRequest[] = [];
    const { surveyor } = await fleet(3, (i, r) => (i === 2 ? void slow.push(r) : Buffer.from(`${i}:${String(r.body)}`)));
    const survey = surveyor.survey(Buffer.from('who'), { timeout: 1_000 });
    expect(survey.sentTo).toBe(3);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const a of survey) seen.push(String(a.body));
    })();
    await until(() => seen.length === 2 && slow.length === 1);
    expect(survey.done).toBe(false);
    jest.advanceTimersByTime(1_000);
    await loop;
    expect(seen.sort()).toEqual(['0:who', '1:who']);
    slow[0].reply(Buffer.from('2:late'));
    await until(() => surveyor.stats().faults.late === 1);
    expect(surveyor.stats()).toMatchObject({ surveys: 1, responses: 2, active: 0 });
  });

  it('ends with no answers when nobody answers, never failing', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance'] });
    const { surveyor } = await fleet(2, () => undefined);
    const all = surveyor.survey(Buffer.from('anyone?'), { deadline: Date.now() + 250 }).collect();
    jest.advanceTimersByTime(250);
    await expect(all).resolves.toEqual([]);
  });

  it('runs several surveys at once, each answer going to its own survey', async () => {
    const { surveyor } = await fleet(2, (i, r) => Buffer.from(`${i}:${String(r.body)}`));
    const [a, b] = await Promise.all([
      surveyor.survey(Buffer.from('a'), { timeout: 300 }).collect(),
      surveyor.survey(Buffer.from('b'), { timeout: 300 }).collect(),
    ]);
    expect(a.map((x) => String(x.body)).sort()).toEqual(['0:a', '1:a']);
    expect(b.map((x) => String(x.body)).sort()).toEqual(['0:b', '1:b']);
  });

  it('leaving the loop early cancels the survey; an abort signal does too', async () => {
    const { surveyor } = await fleet(3, (i) => Buffer.from(String(i)));
    const survey = surveyor.survey(Buffer.from('first?'), { timeout: 10_000 });
    for await (const answer of survey) {
      expect(answer.body.length).toBe(1);
      break;
    }
    expect(survey.done).toBe(true);
    expect(surveyor.stats().active).toBe(0);
    const ac = new AbortController();
    const aborted = surveyor.survey(Buffer.from('x'), { timeout: 10_000, signal: ac.signal });
    ac.abort();
    expect(aborted.done).toBe(true);
    expect(() => surveyor.survey(Buffer.from('x'), { signal: {} as AbortSignal })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  it('reaches only respondents connected when it is sent; close ends running surveys', async () => {
    const surveyor = track(new SpSurveyorSocket({ logger: quiet() }));
    await surveyor.listen('tcp://127.0.0.1:0');
    const survey = surveyor.survey(Buffer.from('q'), { timeout: 10_000 });
    expect(survey.sentTo).toBe(0);
    await surveyor.close();
    await expect(survey.collect()).resolves.toEqual([]);
    expect(() => surveyor.survey(Buffer.from('q'))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_SHUTTING_DOWN' }));
  });

  it('refuses bad arguments, and more than maxSurveys at once with NANITE_ERR_BUFFER_FULL', () => {
    const surveyor = track(new SpSurveyorSocket({ logger: quiet(), maxSurveys: 1 }));
    expect(() => surveyor.survey(Buffer.from('x'), { timeout: -1 })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    expect(() => surveyor.survey('x' as unknown as Buffer)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    surveyor.survey(Buffer.from('1'));
    expect(() => surveyor.survey(Buffer.from('2'))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_BUFFER_FULL' }));
  });
});
