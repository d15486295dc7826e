// One fresh process of the load benchmark. Prints one JSON line of timings (milliseconds).
//   core  <coreUrl>                         : import('@mediaconduit/core') alone
//   warm  <coreUrl> <spec> <cache> <lock>   : getProvider on a warm cache (core already imported)
//   bare  <coreUrl> <bundlePath> <contractUrl> : import() of the cached bundle (core imported, the contract bound)
import { pathToFileURL } from 'node:url';

const [mode, coreUrl, a, b, c] = process.argv.slice(2);
const t0 = performance.now();
const core = await import(coreUrl);
const coreMs = performance.now() - t0;
if (mode === 'core') {
  console.log(JSON.stringify({ ms: coreMs }));
} else if (mode === 'warm') {
  const registry = core.createProviderRegistry({ cacheDir: b, lockfile: c, env: {} });
  const t1 = performance.now();
  const provider = await registry.getProvider(a);
  const ms = performance.now() - t1;
  if (provider.id !== 'bench-small') throw new Error('wrong provider');
  console.log(JSON.stringify({ ms, coreMs }));
} else if (mode === 'bare') {
  globalThis[Symbol.for('mediaconduit.provider.v1')] = await import(b);
  const t1 = performance.now();
  const module = await import(pathToFileURL(a).href);
  const provider = await module.default({});
  const ms = performance.now() - t1;
  if (provider.id !== 'bench-small') throw new Error('wrong provider');
  console.log(JSON.stringify({ ms, coreMs }));
}
