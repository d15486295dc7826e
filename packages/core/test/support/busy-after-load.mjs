// Child process: a cold load through the built core, then a busy loop, as a host that is busy
// when it is asked to stop. Prints "loaded" once the provider is ready.
const [coreUrl, specifier, cacheDir] = process.argv.slice(2);
const { createProviderRegistry } = await import(coreUrl);
const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {} });
await registry.getProvider(specifier);
process.stdout.write(`loaded ${process.listenerCount('SIGTERM')} ${process.listenerCount('SIGINT')}\n`);
const until = Date.now() + 15_000; // bounded: the loop ends by itself
while (Date.now() < until) {}
process.stdout.write('loop ended\n');
