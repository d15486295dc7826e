import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { checkProvider, formatConformanceReport, runConformance, type ConformanceReport } from '@mediaconduit/testing';
import type { Context, RegistryFlags } from './context.js';
import { EXIT, UsageError } from './errors.js';

/**
 * `mediaconduit validate`: a folder on disk is checked as it is (uncommitted changes included);
 * anything else is loaded as a specifier through Git first. Resolves to the exit code.
 */
export async function runValidate(ctx: Context, given: string, flags: RegistryFlags): Promise<number> {
  let report: ConformanceReport;
  const folder = resolve(ctx.io.cwd, given);
  // A path (./x, ../x, /x, with or without //subdir@ref) to nothing: say so, without asking git.
  if (/^(\.{1,2}(\/|$)|\/)/.test(given)) {
    const base = resolve(ctx.io.cwd, given.replace(/(\/\/|@).*$/, '') || '/');
    if (!statSync(base, { throwIfNoEntry: false }))
      throw new UsageError(`there is no folder ${base}; give the folder of a provider (or a specifier such as github:owner/repo)`, 'validate');
  }
  if (
    await stat(folder).then(
      (s) => s.isDirectory() && !given.includes('//'),
      () => false,
    )
  ) {
    ctx.progress.start('validate', `validate ${folder}`);
    report = await runConformance(folder);
  } else {
    const target = ctx.spec(given);
    const registry = await ctx.registry({ lockfile: false, ...flags });
    try {
      const provider = await registry.getProvider(target, { signal: ctx.signal });
      ctx.progress.start('validate', `validate ${target}`);
      report = {
        target,
        provider: `${provider.id}`,
        checks: [{ name: 'load', status: 'passed', message: 'fetched, built, imported, validated' }, ...(await checkProvider(provider, provider))],
        ok: false,
      };
      report.ok = report.checks.every((c) => c.status === 'passed');
    } catch (error) {
      if (!MediaConduitError.isInstance(error)) throw error;
      report = {
        target,
        checks: [{ name: 'load', status: 'failed', message: `${error.code}: ${error.message}`, hint: 'fix what the message names, then push and validate again' }],
        ok: false,
      };
    }
  }
  ctx.progress.stop();
  ctx.out.result(report);
  ctx.out.line(formatConformanceReport(report));
  return report.ok ? EXIT.OK : EXIT.CHECKS_FAILED;
}
