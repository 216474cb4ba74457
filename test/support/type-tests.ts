/**
 * Type tests: runs the TypeScript compiler over a package's test/types/*.types.ts with that
 * package's tsconfig and returns every diagnostic (a `@ts-expect-error` that meets no error is one).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** `testDir` is a package's test folder; its tsconfig is the one in the folder above. */
export function typeTestDiagnostics(testDir: string): { files: string[]; diagnostics: string[] } {
  const dir = join(testDir, 'types');
  const files = readdirSync(dir).filter((f) => f.endsWith('.types.ts')).map((f) => join(dir, f));
  const root = join(testDir, '..');
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  return { files, diagnostics };
}
