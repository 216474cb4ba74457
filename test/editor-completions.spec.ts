// Editor check of typed views: the TypeScript language service (what editors run) completes route
// names and payload keys in a caller file, against the built @nanite/core (scripts/route-completions.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

interface Completions {
  routes: string[];
  payloadKeys: string[];
  errors: string[];
}

test('route names and payload keys complete at mapper.typed<Routes>().request(\'', () => {
  const out = execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'route-completions.mjs')], { encoding: 'utf8' });
  const completions = JSON.parse(out) as Completions;
  expect(completions.routes).toEqual(['/billing/charge', '/billing/refund', '/calc/add', '/calc/mul']);
  expect(completions.payloadKeys).toEqual(['coupon', 'order']);
  // The half-written calls are errors: the empty route is no route, the empty payload lacks `order`.
  expect(completions.errors).toEqual([
    expect.stringContaining('Expected 2-3 arguments'),
    expect.stringContaining("Property 'order' is missing"),
  ]);
}, 60_000);
