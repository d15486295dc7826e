import { stat } from 'node:fs/promises';
import { MediaConduitError } from '@mediaconduit/provider';
import type { ProviderRegistryOptions } from '@mediaconduit/core';
import { checkProvider, formatConformanceReport, runConformance, type ConformanceReport } from '@mediaconduit/testing';

/**
 * `mediaconduit validate`: a folder on disk is checked as it is (uncommitted changes included);
 * anything else is loaded as a specifier through Git first. Resolves to the exit code.
 */
export async function runValidate(target: string, options: ProviderRegistryOptions, out: (line: string) => void): Promise<number> {
  let report: ConformanceReport;
  if (
    await stat(target).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    report = await runConformance(target);
  } else {
    const { createProviderRegistry } = await import('@mediaconduit/core');
    const registry = createProviderRegistry({ lockfile: false, ...options });
    try {
      const provider = await registry.getProvider(target);
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
    } finally {
      await registry.close();
    }
  }
  out(formatConformanceReport(report));
  return report.ok ? 0 : 1;
}
