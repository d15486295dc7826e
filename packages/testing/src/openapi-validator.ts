import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/** Request schemas taken from an OpenAPI description: named JSON Schema 2020-12 components, and which one each operation's body uses. */
export interface OpenApiRequestSchemas {
  /** Where the schemas come from (for messages). */
  source: string;
  /** `METHOD /path` → the body's media type and the component naming its schema. */
  operations: Readonly<Record<string, { contentType: string; schema: string }>>;
  components: { schemas: Readonly<Record<string, unknown>> };
}

/** Checks request bodies against {@link OpenApiRequestSchemas}; schemas compile on first use. */
export interface OpenApiRequestValidator {
  /** Whether the description has a body schema for `operation` (`POST /chat/completions`). */
  describes(operation: string): boolean;
  /** The body's problems (one readable line each), or an empty list when it is valid. */
  problems(operation: string, body: unknown): string[];
  /** The JSON types the description gives each top-level field of the body (to read multipart fields as typed values). */
  fieldTypes(operation: string): Readonly<Record<string, readonly string[]>>;
}

/**
 * A validator for the request bodies an OpenAPI description gives (for fakes of a service, which
 * should refuse what the service would refuse). Only the `uri` format is checked.
 */
export function openApiRequestValidator(document: OpenApiRequestSchemas): OpenApiRequestValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // Formats OpenAPI uses: numeric ones say nothing JSON Schema does not; a file upload is "binary"
  // (any value); a URL must be an absolute http(s) URL, so a file and a URL tell apart in a oneOf.
  for (const name of ['float', 'double', 'int32', 'int64', 'byte', 'binary', 'date-time', 'date', 'email', 'password']) ajv.addFormat(name, true);
  ajv.addFormat('uri', /^https?:\/\/\S+$/i);
  ajv.addSchema({ $id: 'openapi', components: document.components });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (operation: string) => {
    const entry = document.operations[operation];
    if (!entry) throw new Error(`${document.source} describes no request body for ${operation}`);
    let validate = compiled.get(operation);
    if (!validate) {
      validate = ajv.getSchema(`openapi#/components/schemas/${entry.schema}`);
      if (!validate) throw new Error(`${document.source} has no schema ${entry.schema}`);
      compiled.set(operation, validate);
    }
    return validate;
  };
  const resolve = (node: unknown): Record<string, unknown> => {
    let current = node as Record<string, unknown>;
    for (let i = 0; i < 20 && typeof current?.$ref === 'string'; i++) current = document.components.schemas[(current.$ref as string).split('/').pop()!] as Record<string, unknown>;
    return current ?? {};
  };
  const typesOf = (node: unknown): string[] => {
    const schema = resolve(node);
    if (typeof schema.type === 'string') return [schema.type];
    if (Array.isArray(schema.type)) return schema.type as string[];
    const members = [...((schema.oneOf as unknown[]) ?? []), ...((schema.anyOf as unknown[]) ?? [])];
    return [...new Set(members.flatMap(typesOf))];
  };
  return {
    describes: (operation) => operation in document.operations,
    problems(operation, body) {
      const validate = validator(operation);
      if (validate(body)) return [];
      return (validate.errors ?? []).map((e) => {
        const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the body';
        const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
        return `${where} ${e.message}${allowed ? `: ${allowed.map((v) => JSON.stringify(v)).join(', ')}` : ''}`;
      });
    },
    fieldTypes(operation) {
      const entry = document.operations[operation];
      if (!entry) return {};
      const properties = (resolve(document.components.schemas[entry.schema]).properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, typesOf(schema)]));
    },
  };
}
