// Runs the fake Together server in its own process for benchmarks; prints its base URL, then
// serves until stdin closes. Usage: node fake-together-process.mjs [noise]
import { startFakeTogether } from '../packages/together-provider/src/testing/index.js';

const fake = await startFakeTogether({ logResponses: false, imageDetail: process.argv[2] === 'noise' ? 'noise' : 'gradient' });
process.stdout.write(`${fake.baseURL}\n`);
setInterval(() => {
  fake.requests.length = 0;
}, 1000).unref();
process.stdin.resume();
process.stdin.on('end', () => {
  void fake.close().then(() => process.exit(0));
});
