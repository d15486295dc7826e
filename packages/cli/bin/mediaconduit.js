#!/usr/bin/env node
// The `mediaconduit` command. A missing build or a broken install gets one line saying what to run.
let main;
let processIo;
try {
  ({ main, processIo } = await import('../dist/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  const url = /Cannot find (module|package) '([^']+)'/.exec(error.message);
  const what = url ? `the ${url[1]} ${url[1] === 'module' && url[2].endsWith('/dist/main.js') ? '../dist/main.js' : url[2]} is missing` : error.message;
  const inRepository = /\/packages\/cli\/bin\//.test(import.meta.url) && !/\/node_modules\//.test(import.meta.url);
  // The one-line error format of every other failure; exit 1 ("failed, its code is printed"), as documented.
  process.stderr.write(
    inRepository
      ? `error NOT_BUILT: mediaconduit is not built yet (${what}) (hint: run "pnpm build" in the MediaConduit repository, then try again)\n`
      : `error BROKEN_INSTALL: this installation of @mediaconduit/cli is broken (${what}) (hint: reinstall it: npm install @mediaconduit/cli)\n`,
  );
  process.exit(1);
}
// Ctrl-C stops the command (git and other children included) and exits with 130; a second one kills at once.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));
process.exitCode = await main(process.argv.slice(2), processIo(interrupt.signal));
