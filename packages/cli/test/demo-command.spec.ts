/** `nanite demo` runs examples/demo/demo.js, the script behind `npm run demo`. */
import { join } from 'node:path';
import { NaniteError } from '@nanite/core';
import { EXIT, demoCandidates, findDemo, runDemo } from '../src';
import { FakeSignals, testIo } from './helpers';

const repoDemo = join(__dirname, '..', '..', '..', 'examples', 'demo', 'demo.js');

describe('nanite demo', () => {
  it('finds the demo of this repository', () => {
    expect(findDemo(demoCandidates('/'))).toBe(repoDemo);
  });

  it('says where it looked when the demo is not there', () => {
    expect(() => findDemo(['/nowhere/examples/demo/demo.js'])).toThrow(NaniteError);
    expect(() => findDemo(['/nowhere/examples/demo/demo.js'])).toThrow(/ships with the Nanite repository .* not found at \/nowhere\/examples\/demo\/demo\.js/);
  });

  it('runs the same script as npm run demo and exits with its status', async () => {
    const io = testIo();
    const signals = new FakeSignals();
    expect(await runDemo([], io, signals)).toBe(EXIT.OK);
    expect(io.stdout.text).toContain('== shutdown');
    expect(signals.listening()).toBe(0);
  }, 30_000);
});
