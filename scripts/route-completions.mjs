#!/usr/bin/env node
// Editor check of typed views: asks the TypeScript language service (what VS Code's tsserver runs)
// for completions in a caller file, as an editor would, against the BUILT @nanite/core.
//
//   npm run build && node scripts/route-completions.mjs
//
// Prints the route names offered at `mapper.typed<Routes>().request('|`, and the payload keys
// offered inside the payload object of `/billing/charge`. test/editor-completions.spec.ts asserts them.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Virtual files in test/ so that `@nanite/core` resolves through node_modules as for a user.
const dir = join(root, 'test', '__completions__');

const files = {
  [join(dir, 'actors.ts')]: `
import { Actor, Expose, defineActor } from '@nanite/core';

@Actor()
export class Calc {
  static readonly prefix = 'calc';
  @Expose() add(pair: [number, number]): number { return pair[0] + pair[1]; }
  @Expose() mul(pair: [number, number]): number { return pair[0] * pair[1]; }
}

export const billing = defineActor('billing', {
  charge: (p: { order: number; coupon?: string }) => ({ charged: p.order }),
  refund: (p: { order: number }) => true,
});
`,
  [join(dir, 'caller.ts')]: `
import { Mapper, type RoutesOf } from '@nanite/core';
import type { Calc, billing } from './actors';

type Routes = RoutesOf<[typeof Calc, typeof billing]>;
const mapper = new Mapper({ transport: 'memory://completions' });
const api = mapper.typed<Routes>();
void api.request('/*ROUTE*/');
void api.request('/billing/charge', { /*PAYLOAD*/ });
`,
};

/** Completions at each marker of the caller file: `{ routes, payloadKeys }`. */
export function routeCompletions() {
  const caller = join(dir, 'caller.ts');
  const markers = {};
  for (const m of ['ROUTE', 'PAYLOAD']) {
    const text = files[caller];
    const at = text.indexOf(`/*${m}*/`);
    markers[m] = at;
    files[caller] = text.slice(0, at) + text.slice(at + m.length + 4);
  }
  // The ROUTE marker was removed before PAYLOAD's offset was taken, so both offsets are right.
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    experimentalDecorators: true,
    skipLibCheck: true,
    types: ['node'],
    noEmit: true,
  };
  const host = {
    getScriptFileNames: () => Object.keys(files),
    getScriptVersion: () => '1',
    getScriptSnapshot: (name) => {
      const text = files[name] ?? ts.sys.readFile(name);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => root,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (name) => name in files || ts.sys.fileExists(name),
    readFile: (name) => files[name] ?? ts.sys.readFile(name),
    readDirectory: ts.sys.readDirectory,
    directoryExists: (name) => name === dir || ts.sys.directoryExists(name),
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());
  try {
    const names = (pos, trigger) =>
      (service.getCompletionsAtPosition(caller, pos, { triggerCharacter: trigger, includeCompletionsWithInsertText: true })?.entries ?? []).map((e) => e.name).sort();
    const errors = service.getSemanticDiagnostics(caller).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    return { routes: names(markers.ROUTE, "'"), payloadKeys: names(markers.PAYLOAD), errors };
  } finally {
    service.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(routeCompletions(), null, 2));
}
