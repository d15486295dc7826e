// Registers a resolve hook that prints every module URL the process resolves (one per line,
// prefixed "RESOLVED "), so a test can see which packages a code path loads.
import { register } from 'node:module';
register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write('RESOLVED ' + result.url + '\\n');
  return result;
}`),
);
