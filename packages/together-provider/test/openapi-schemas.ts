import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { load } from 'js-yaml';

export const OPENAPI_PATH = new URL('./fixtures/together-api/openapi.yaml', import.meta.url);

/**
 * OpenAPI 3.0 habits in the 3.1 document, rewritten as JSON Schema 2020-12 with the same meaning:
 * `nullable: true` (also as an `allOf` member) allows null; `discriminator` is dropped (`oneOf` still applies).
 */
function normalize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize);
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Record<string, unknown>;
  const isNullableMarker = (member: unknown) =>
    typeof member === 'object' && member !== null && Object.keys(member).length === 1 && (member as { nullable?: unknown }).nullable === true;
  if (Array.isArray(source.allOf) && source.allOf.some(isNullableMarker)) {
    const rest = { ...source, allOf: source.allOf.filter((m) => !isNullableMarker(m)) };
    return { anyOf: [normalize(rest), { type: 'null' }] };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (key !== 'discriminator' && key !== 'nullable') out[key] = normalize(value);
  if (source.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/**
 * Validators for the operations' schemas. `deviations` patches the document where the live API
 * is documented (in NOTES.md) to differ from it.
 */
export function openApiValidators(deviations: (doc: OpenApiDocument) => void = () => {}) {
  const doc = load(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApiDocument;
  deviations(doc);
  // Inline operation schemas become named components, so their $refs resolve like the others'.
  const named = new Map<string, string>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const parts: [string, Record<string, { schema: unknown }> | undefined][] = [
        ['request', operation.requestBody?.content],
        ...Object.entries(operation.responses).map(([status, response]) => [status, response.content] as [string, Record<string, { schema: unknown }> | undefined]),
      ];
      for (const [part, content] of parts) {
        for (const [type, { schema }] of Object.entries(content ?? {})) {
          const ref = (schema as { $ref?: string }).$ref;
          const name = ref?.startsWith('#/components/schemas/') ? ref.slice(21) : `Operation_${method}_${path.replace(/\W+/g, '_')}_${part}_${type.replace(/\W+/g, '_')}`;
          if (!ref) doc.components.schemas[name] = schema as Record<string, unknown>;
          named.set(`${method.toUpperCase()} ${path} ${part} ${type}`, name);
        }
      }
    }
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // Formats the description uses; a file upload is "binary", a remote file a URL.
  for (const name of ['binary', 'float', 'double', 'int32', 'int64', 'date-time', 'uuid']) ajv.addFormat(name, true);
  ajv.addFormat('uri', /^https?:\/\/\S+$/);
  ajv.addSchema({ $id: 'openapi', components: normalize(doc.components) as object });
  const cache = new Map<string, ValidateFunction>();
  const byName = (name: string) => {
    let validate = cache.get(name);
    if (!validate) {
      validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
      if (!validate) throw new Error(`openapi.yaml has no schema ${name}`);
      cache.set(name, validate);
    }
    return validate;
  };
  /** The validator of an operation's request (`part` = `request`) or response (`part` = a status). */
  const forOperation = (method: string, path: string, part: string, type = 'application/json') => {
    const name = named.get(`${method} ${path} ${part} ${type}`);
    if (!name) throw new Error(`openapi.yaml describes no ${type} ${part} for ${method} ${path}`);
    return byName(name);
  };
  return { doc, byName, forOperation, errorsText: (v: ValidateFunction) => ajv.errorsText(v.errors, { separator: '\n' }) };
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: { schemas: Record<string, Record<string, unknown>> };
}
