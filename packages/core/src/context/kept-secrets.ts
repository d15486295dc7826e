import type { ManifestEnvVar } from '../manifest/manifest.js';

/** Names that say a value is secret, in a declared variable's name or a config key. */
export const SECRET_NAME = /key|token|secret|password|passwd|auth|credential|cookie|session/i;

/**
 * What `requireEnv` returns for a secret the host keeps and has a value for: a stand-in that holds
 * nothing. A provider may put it where the key would go (`Authorization: Bearer …`); the host
 * replaces that header on requests to the secret's origins, and elsewhere the stand-in leaks nothing.
 */
export const KEPT_BY_HOST = '[kept by the host]';

/** How deep a provider's config is searched for secret values. */
const MAX_CONFIG_DEPTH = 6;

/** Every string in `value` (a provider's config), at any depth, whose key says it is secret, with its dotted path. */
export function* secretConfigEntries(value: unknown, prefix = '', depth = 0): Iterable<{ path: string; value: string }> {
  if (typeof value !== 'object' || value === null || depth > MAX_CONFIG_DEPTH) return;
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === 'string' && SECRET_NAME.test(name)) yield { path: prefix + name, value: item };
    else yield* secretConfigEntries(item, `${prefix}${name}.`, depth + 1);
  }
}

/** Whether a declared variable holds a secret: by declaration, else by its name. */
export function isSecretVariable(variable: Pick<ManifestEnvVar, 'name' | 'secret'>): boolean {
  return variable.secret === undefined ? SECRET_NAME.test(variable.name) : variable.secret !== false;
}

/** One secret the host keeps for a provider instance: the header that carries it, and where it may go. */
export interface KeptSecret {
  name: string;
  /** Header name, lower-case. */
  header: string;
  /** The header's value with `{value}` in place of the secret. */
  template: string;
  /** The origins it may be sent to: the manifest's, and those the host's operator added. */
  origins: ReadonlySet<string>;
}

/**
 * The secrets of `declared` that the host keeps (those with a `secret: { origins, header }`
 * declaration). `extraOrigins` are origins the host's operator allows beyond the manifest's (a local
 * fake of the service, a proxy): the registry's `secretOrigins` option.
 */
export function keptSecrets(declared: readonly ManifestEnvVar[], extraOrigins: Readonly<Record<string, readonly string[]>> = {}): KeptSecret[] {
  const kept: KeptSecret[] = [];
  for (const variable of declared) {
    const delivery = variable.secret;
    if (typeof delivery !== 'object' || delivery === null) continue;
    const colon = delivery.header.indexOf(':');
    kept.push({
      name: variable.name,
      header: delivery.header.slice(0, colon).trim().toLowerCase(),
      template: delivery.header.slice(colon + 1).trim(),
      origins: new Set([...delivery.origins, ...(extraOrigins[variable.name] ?? [])].map((origin) => new URL(origin).origin)),
    });
  }
  return kept;
}

/**
 * `headers` for a request to `origin`, with the header of every kept secret allowed there set to
 * its value (replacing whatever the provider put under that name). A request to any other origin
 * is sent as the provider made it: without the secret. `value` reads the host's value of a variable.
 */
export function addKeptSecrets(
  origin: string,
  headers: Record<string, string>,
  secrets: readonly KeptSecret[],
  value: (name: string) => string | undefined,
  onWithheld?: (secret: KeptSecret, origin: string) => void,
): Record<string, string> {
  let out = headers;
  for (const secret of secrets) {
    if (!secret.origins.has(origin)) {
      // The provider put the stand-in where the secret goes, for an origin it may not go to: say so (a fake or proxy the operator has not allowed).
      if (onWithheld && Object.entries(headers).some(([name, text]) => name.toLowerCase() === secret.header && text.includes(KEPT_BY_HOST))) onWithheld(secret, origin);
      continue;
    }
    const found = value(secret.name);
    if (!found) continue;
    if (out === headers) out = { ...headers };
    for (const name of Object.keys(out)) if (name.toLowerCase() === secret.header) delete out[name];
    out[secret.header] = secret.template.split('{value}').join(found);
  }
  return out;
}

/** A warning, once per secret and origin, that a kept secret was not sent where the provider wanted it. */
export function warnWithheld(warn: (message: string) => void): (secret: KeptSecret, origin: string) => void {
  const said = new Set<string>();
  return (secret, origin) => {
    const key = `${secret.name} ${origin}`;
    if (said.has(key)) return;
    said.add(key);
    warn(
      `${secret.name} was not sent to ${origin}: the host sends it only to ${[...secret.origins].join(', ')}; if that origin is yours (a proxy, a local fake), allow it with the registry's secretOrigins option or MEDIACONDUIT_SECRET_ORIGINS=${secret.name}=${origin}`,
    );
  };
}

/**
 * Parses `MEDIACONDUIT_SECRET_ORIGINS`: `NAME=origin` pairs separated by commas, e.g.
 * `TOGETHER_API_KEY=http://127.0.0.1:8080`. Returns the origins by variable, and the entries it
 * could not read.
 */
export function parseSecretOrigins(text: string): { origins: Record<string, string[]>; problems: string[] } {
  const origins: Record<string, string[]> = {};
  const problems: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.indexOf('=');
    const name = part.slice(0, at).trim();
    const origin = part.slice(at + 1).trim();
    if (at <= 0 || !/^[A-Z_][A-Z0-9_]*$/.test(name) || !URL.canParse(origin) || !/^https?:$/.test(new URL(origin).protocol)) {
      problems.push(`"${part}" is not NAME=http(s)-origin`);
      continue;
    }
    origins[name] = [...(origins[name] ?? []), new URL(origin).origin];
  }
  return { origins, problems };
}
