/** Runs the TypeScript compiler over test/types/*.types.ts: route maps and typed views. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

function compile(files: string[]): string[] {
  const configPath = join(__dirname, '..', 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, join(__dirname, '..'));
  const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('type tests', () => {
  it('the public signatures compile as intended (every @ts-expect-error meets an error)', () => {
    const dir = join(__dirname, 'types');
    const files = readdirSync(dir).filter((f) => f.endsWith('.types.ts')).map((f) => join(dir, f));
    expect(files.length).toBeGreaterThan(0);
    expect(compile(files)).toEqual([]);
  }, 60_000);
});
