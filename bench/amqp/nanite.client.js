// Nanite mapper calling /bench/echo with the bench payload, plain or in secure mode.
'use strict';
const { Mapper } = require('@nanite/core');
const { measure, payload } = require('./measure');
const { join } = require('node:path');
// argv: url name [pki-dir: secure mode with bench-mapper.crt/.key and ca.crt from `nanite certs`]
const [url, name, pki] = process.argv.slice(2);
const security = pki ? { security: { cert: join(pki, 'bench-mapper.crt'), key: join(pki, 'bench-mapper.key'), ca: join(pki, 'ca.crt') } } : {};
(async () => {
  const mapper = new Mapper({ transport: url, timeout: 30_000, ...security });
  await mapper.start();
  await mapper.waitForAgents({ route: '/bench/echo', timeout: 10_000 });
  const body = payload();
  await measure(name, () => mapper.request('/bench/echo', body));
  await mapper.close();
})();
