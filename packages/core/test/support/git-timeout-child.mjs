// Child process: a load from a server that never answers, under a 1 s git limit, with the garbage
// collector forced every 20 ms (run with --expose-gc). Prints {code, ms}; then it must exit by
// itself: nothing git started may keep it alive.
const [coreUrl, port, cacheDir] = process.argv.slice(2);
const { createProviderRegistry } = await import(coreUrl);
const collector = setInterval(() => globalThis.gc(), 20);
const registry = createProviderRegistry({ cacheDir, lockfile: false, rewrites: { 'https://github.com/': `http://127.0.0.1:${port}/` }, gitTimeoutMs: 1000, env: {} });
const started = performance.now();
const error = await registry.getProvider('github:acme/stalls@v1').then(
  () => undefined,
  (e) => e,
);
clearInterval(collector);
process.stdout.write(`${JSON.stringify({ code: error?.code, ms: Math.round(performance.now() - started) })}\n`);
await registry.close();
