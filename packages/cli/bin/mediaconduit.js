#!/usr/bin/env node
// The `mediaconduit` command. A missing build or a broken install gets one line saying what to run.
let main;
try {
  ({ main } = await import('../dist/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(error.message)?.[1] ?? 'a module';
  const inRepository = /[\\/]packages[\\/]cli[\\/]bin[\\/]/.test(import.meta.url) && !/[\\/]node_modules[\\/]/.test(import.meta.url);
  process.stderr.write(
    inRepository
      ? `mediaconduit: not built yet (${missing} is missing); run "pnpm build" in the MediaConduit repository, then try again\n`
      : `mediaconduit: this installation of @mediaconduit/cli is broken (${missing} is missing); reinstall it: npm install @mediaconduit/cli\n`,
  );
  process.exit(70);
}
process.exitCode = await main(process.argv.slice(2));
