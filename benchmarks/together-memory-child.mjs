// One fresh process of the Together memory benchmark (run with --expose-gc). Generates four
// 2048×2048 images at once and prints the peak RSS increase and the decoded image bytes.
//   ours  <coreUrl> <specifier> <cacheDir> <baseURL>  : through registry, provider and model
//   naive <baseURL>                                   : undici + body.json() + Buffer.from(base64)
const [mode, a, b, c, d] = process.argv.slice(2);
const prompt = (i) => `memory benchmark image ${i}`;
const body = (i, size) => ({ model: 'black-forest-labs/FLUX.1-schnell', prompt: prompt(i), width: size, height: size, n: 1, response_format: 'base64', output_format: 'png' });
let generate, warm;
if (mode === 'ours') {
  const core = await import(a);
  const registry = core.createProviderRegistry({ cacheDir: c, lockfile: false, env: {} });
  const provider = await registry.getProvider(b, { config: { apiKey: 'bench', baseURL: d } });
  const model = await provider.getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
  generate = async (i, size) => (await model.transform(prompt(i), { width: size, height: size, format: 'png' })).bytes;
} else {
  const { request, Agent } = await import(new URL('../packages/core/node_modules/undici/index.js', import.meta.url).href);
  const dispatcher = new Agent();
  generate = async (i, size) => {
    const response = await request(`${a}/images/generations`, {
      method: 'POST',
      dispatcher,
      headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
      body: JSON.stringify(body(i, size)),
    });
    const json = await response.body.json();
    return Buffer.from(json.data[0].b64_json, 'base64');
  };
}
warm = await generate(0, 64);
if (!warm.length) throw new Error('warm-up failed');
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 50));
globalThis.gc();
const before = process.memoryUsage.rss();
const images = await Promise.all([1, 2, 3, 4].map((i) => generate(i, 2048)));
const peak = process.resourceUsage().maxRSS * 1024;
const decoded = images.reduce((sum, bytes) => sum + bytes.byteLength, 0);
console.log(JSON.stringify({ peakIncrease: peak - before, decoded, pixels: 4 * 2048 * 2048 * 3 }));
process.exit(0);
