// Integration (real broker, child processes) and browser suites get 60 s per test; unit tests keep
// jest's 5 s so a hang there fails fast.
jest.setTimeout(60_000);
