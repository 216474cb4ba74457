// Preloaded (`node -r`) into a bench process: prints the CPU time it used (user + system, µs) on exit.
'use strict';
process.on('exit', () => {
  const u = process.cpuUsage();
  process.stderr.write(`CPU ${u.user + u.system}\n`);
});
