import type { LoggerV1 } from '@mediaconduit/provider';

/** Whether `namespace` is enabled by a `DEBUG`-style pattern list (`mediaconduit:*,-mediaconduit:git`). */
export function debugEnabled(namespace: string, patterns = process.env.DEBUG ?? ''): boolean {
  let enabled = false;
  for (const raw of patterns.split(/[\s,]+/).filter(Boolean)) {
    const negate = raw.startsWith('-');
    const pattern = new RegExp(`^${(negate ? raw.slice(1) : raw).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    if (pattern.test(namespace)) enabled = !negate;
  }
  return enabled;
}

/**
 * A logger writing to stderr: `debug` only when `DEBUG` matches `mediaconduit:<scope>`,
 * warnings and errors always. Fields are printed as JSON.
 */
export function createLogger(scope: string, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): LoggerV1 {
  const namespace = `mediaconduit:${scope}`;
  const debug = debugEnabled(namespace);
  const emit = (level: string, message: string, fields?: Readonly<Record<string, unknown>>) =>
    write(`${namespace} ${level} ${message}${fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ''}`);
  return {
    debug: debug ? (message, fields) => emit('debug', message, fields) : () => {},
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}
