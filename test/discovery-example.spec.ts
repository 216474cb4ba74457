/** examples/discovery runs as documented (node examples/discovery/discovery.js [SERVICE] [DEADLINE_MS]). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = join(__dirname, '..', 'examples', 'discovery', 'discovery.js');

jest.setTimeout(60_000);

test('finds who provides a service, at which address, late joiners included', async () => {
  const { stdout, stderr } = await run(process.execPath, [script, 'billing', '500']);
  expect(stderr).toBe('');
  expect(stdout).toBe([
    'agents known to the mapper: 0',
    'who provides "billing"? (listening for 500 ms)',
    '  node-a: billing at tcp://10.0.0.5:9000',
    '  node-b: billing at tcp://10.0.0.6:9000',
    'after node-d joined: tcp://10.0.0.5:9000, tcp://10.0.0.6:9000, tcp://10.0.0.8:9000',
    '',
  ].join('\n'));
});

test('says nobody when no agent provides the service', async () => {
  const { stdout } = await run(process.execPath, [script, 'fax', '200']);
  expect(stdout).toContain('who provides "fax"? (listening for 200 ms)\n  nobody\n');
});
