import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MediaConduitError } from '@mediaconduit/provider';
import { CLI_WORDS, inCliWords, reportError } from './errors.js';

const packages = fileURLToPath(new URL('../../', import.meta.url));

/** The source text of the packages whose messages the CLI shows, with `\`` unescaped and `${…}` as a stand-in word. */
function messagesSource(): string {
  const files: string[] = [];
  for (const pkg of ['core', 'provider', 'together-provider']) {
    for (const entry of readdirSync(join(packages, pkg, 'src'), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(join(entry.parentPath, entry.name));
    }
  }
  return files
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n')
    .replaceAll('\\`', '`')
    .replace(/\$\{[^{}]*\}/g, 'X_NAME');
}

describe('the words of the command line', () => {
  it('every rewrite still finds the message it was written for (a reworded message would slip past it)', () => {
    const source = messagesSource();
    const stale = CLI_WORDS.map(([pattern]) => pattern).filter((pattern) => !new RegExp(pattern.source).test(source));
    expect(stale).toEqual([]);
  });

  it('turns API words into commands, flags and variables', () => {
    expect(inCliWords('lockfile x is frozen; add it with registry.update() (or `mediaconduit update`) without frozen mode')).toBe(
      'lockfile x is frozen; add it with `mediaconduit update` without frozen mode',
    );
    expect(inCliWords('raise the `installTimeoutMs` option or check the network')).toBe('raise MEDIACONDUIT_INSTALL_TIMEOUT_MS or check the network');
    expect(inCliWords('more than 20 files (maxCheckoutFiles); raise the option if you trust it')).toBe(
      'more than 20 files; raise it with MEDIACONDUIT_MAX_CHECKOUT_FILES if you trust it',
    );
  });
});

describe('how an error is printed', () => {
  it('puts a one-line message and its hint on one line', () => {
    const reported = reportError(new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: 'acme: no model "x"' }));
    expect(reported.line).toBe('error MODEL_NOT_FOUND: acme: no model "x" (hint: mediaconduit models <spec> lists the models)');
  });

  it('keeps every problem of a longer message on its own indented line, with the hint (when its code has one) last', () => {
    const message = 'mock training: the training data failed its checks; nothing was uploaded:\n  - a.png: not a PNG file\n  - b.jpg: not a JPEG file\n';
    const reported = reportError(new MediaConduitError({ code: 'INVALID_INPUT', message }));
    expect(reported.line.split('\n')).toEqual([
      'error INVALID_INPUT: mock training: the training data failed its checks; nothing was uploaded:',
      '  - a.png: not a PNG file',
      '  - b.jpg: not a JPEG file',
    ]);
    const hinted = reportError(new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: 'acme: no model "x"\n  - closest: acme/y' }));
    expect(hinted.line.split('\n')).toEqual(['error MODEL_NOT_FOUND: acme: no model "x"', '  - closest: acme/y', '  hint: mediaconduit models <spec> lists the models']);
    // An unindented continuation line is indented, so that the block reads as one error.
    expect(reportError(new Error('first\nsecond')).line.split('\n').slice(0, 2)).toEqual(['error INTERNAL: first', '  second']);
  });
});
