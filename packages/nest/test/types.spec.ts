/** Runs the TypeScript compiler over test/types/*.types.ts: the decorators' and services' signatures. */
import { typeTestDiagnostics } from '../../../test/support/type-tests';

describe('type tests', () => {
  it('the public signatures compile as intended (every @ts-expect-error meets an error)', () => {
    const { files, diagnostics } = typeTestDiagnostics(__dirname);
    expect(files.length).toBeGreaterThan(0);
    expect(diagnostics).toEqual([]);
  }, 60_000);
});
