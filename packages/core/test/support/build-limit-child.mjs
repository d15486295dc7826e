// Child process: a load whose build hits its time limit, then registry.close(). Prints the error
// code; then it must exit by itself: nothing the build started may keep it alive or keep working.
const [coreUrl, specifier, cacheDir] = process.argv.slice(2);
const { createProviderRegistry } = await import(coreUrl);
const registry = createProviderRegistry({ cacheDir, lockfile: false, buildTimeoutMs: 1, env: {} });
const error = await registry.getProvider(specifier).then(
  () => undefined,
  (e) => e,
);
process.stdout.write(`${JSON.stringify({ code: error?.code })}\n`);
await registry.close();
