// Nanite mapper calling /bench/sum.
'use strict';
const { Mapper } = require('@nanite/core');
const { measure } = require('./measure');
const [url, name] = process.argv.slice(2);
(async () => {
  const mapper = new Mapper({ transport: url, timeout: 30_000 });
  await mapper.start();
  await mapper.waitForAgents({ route: '/bench/sum', timeout: 10_000 });
  await measure(name, () => mapper.request('/bench/sum', { a: 1, b: 2 }));
  await mapper.close();
})();
