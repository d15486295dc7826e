// Child process for multi-process tests: loads one provider with the built core and prints
// one JSON line with the answer and the load steps it did itself.
const [coreUrl, specifier, cacheDir, lockfile, rewriteTo] = process.argv.slice(2);
const { createProviderRegistry } = await import(coreUrl);
const events = [];
const registry = createProviderRegistry({
  cacheDir,
  lockfile,
  rewrites: { 'https://github.com/': rewriteTo },
  env: {},
  onProgress: (e) => events.push(`${e.phase}:${e.status}`),
});
try {
  const provider = await registry.getProvider(specifier);
  const model = await provider.getModel('echo-1');
  const text = await model.transform('hi');
  process.stdout.write(`${JSON.stringify({ ok: true, text: text.text, events })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: error.code, message: error.message, events })}\n`);
}
await registry.close();
