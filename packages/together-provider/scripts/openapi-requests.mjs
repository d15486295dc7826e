// Writes src/testing/openapi-requests.json: the request schemas of the operations the fake Together
// server serves, with every component they reference, taken from the vendored openapi.yaml and
// rewritten as JSON Schema 2020-12 (`nullable` becomes a null type, `discriminator` is dropped).
// The fake checks every request against it. Run after updating the vendored description:
//   node packages/together-provider/scripts/openapi-requests.mjs
// (`--check` exits 1 when the file is not current; the contract test runs the same comparison.)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { load } from 'js-yaml';

const here = new URL('..', import.meta.url);
const SOURCE = new URL('test/fixtures/together-api/openapi.yaml', here);
const TARGET = new URL('src/testing/openapi-requests.json', here);

/** Operations the fake serves that take a body, with the body's media type. */
export const OPERATIONS = [
  ['POST', '/chat/completions', 'application/json'],
  ['POST', '/images/generations', 'application/json'],
  ['POST', '/audio/speech', 'application/json'],
  ['POST', '/audio/transcriptions', 'multipart/form-data'],
  ['POST', '/embeddings', 'application/json'],
  ['POST', '/files/upload', 'multipart/form-data'],
  ['POST', '/fine-tunes', 'application/json'],
];

function normalize(node) {
  if (Array.isArray(node)) return node.map(normalize);
  if (typeof node !== 'object' || node === null) return node;
  const isNullableMarker = (m) => typeof m === 'object' && m !== null && Object.keys(m).length === 1 && m.nullable === true;
  if (Array.isArray(node.allOf) && node.allOf.some(isNullableMarker)) {
    return { anyOf: [normalize({ ...node, allOf: node.allOf.filter((m) => !isNullableMarker(m)) }), { type: 'null' }] };
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (['discriminator', 'nullable', 'example', 'examples', 'x-codeSamples'].includes(key)) continue;
    out[key] = normalize(value);
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** The document, as the fake reads it. */
export function buildRequestSchemas() {
  const text = readFileSync(SOURCE, 'utf8');
  const doc = load(text);
  const all = doc.components.schemas;
  const schemas = {};
  const operations = {};
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      if (!(name in schemas)) {
        if (!all[name]) throw new Error(`openapi.yaml has no schema ${name}`);
        schemas[name] = null;
        schemas[name] = normalize(all[name]);
        visit(all[name]);
      }
    }
    for (const value of Object.values(node)) visit(value);
  };
  for (const [method, path, type] of OPERATIONS) {
    const schema = doc.paths[path]?.[method.toLowerCase()]?.requestBody?.content?.[type]?.schema;
    if (!schema) throw new Error(`openapi.yaml describes no ${type} body for ${method} ${path}`);
    const name = `Request ${method} ${path}`.replace(/\W+/g, '_');
    visit(schema);
    schemas[name] = normalize(schema);
    operations[`${method} ${path}`] = { contentType: type, schema: name };
  }
  const sorted = Object.fromEntries(
    Object.keys(schemas)
      .sort()
      .map((k) => [k, schemas[k]]),
  );
  return {
    source: `openapi.yaml ${doc.info.version}, sha256 ${createHash('sha256').update(text).digest('hex')}`,
    operations,
    components: { schemas: sorted },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const next = `${JSON.stringify(buildRequestSchemas(), null, 1)}\n`;
  if (process.argv.includes('--check')) {
    const current = readFileSync(TARGET, 'utf8');
    if (current !== next) {
      console.error('src/testing/openapi-requests.json is not current: run node packages/together-provider/scripts/openapi-requests.mjs');
      process.exit(1);
    }
  } else writeFileSync(TARGET, next);
}
