import { Command, CommanderError, Option } from 'commander';
import { CAPABILITIES, CONTRACT_VERSION } from '@mediaconduit/provider';
import type { BenchFlags } from './bench/bench-command.js';
import type { RunFlags } from './commands/run.js';
import type { TrainJobFlags, TrainPublishFlags, TrainStartFlags, TrainWatchFlags } from './commands/train.js';
import type { InitFlags } from './init-provider.js';
import { Context, type RegistryFlags } from './context.js';
import { EXIT, type PathFlag, reportError, UsageError } from './errors.js';
import { type CliIo, printable, processIo } from './io.js';

export { processIo, type CliIo } from './io.js';
import { CLI_VERSION } from './version.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const SPECIFIERS = `Specifiers:
  github:owner/repo[/dir][@ref]            https://github.com/owner/repo[@ref]
  https://host/path/repo.git[//dir][@ref]  file:///abs/repo[//dir][@ref]
  ./local/repo[//dir][@ref]                (a local repository, relative to the current folder)
  A ref is a tag, branch, commit or semver range (@^1.2); none means the default branch.`;

const ROOT_HELP_AFTER = `
${SPECIFIERS}

Examples:
  mediaconduit load github:acme/mediaconduit-images@v1.2.0
  mediaconduit models ./providers/mock --capability text-to-image
  mediaconduit run ./providers/mock mock/gradient-1 "a red fox at dawn" -o fox.png --opt width=512
  mediaconduit train start ./providers/mock --data ./photos --trigger-word sks --wait

Environment: MEDIACONDUIT_CACHE_DIR, MEDIACONDUIT_LOCKFILE, MEDIACONDUIT_GIT_TOKEN, TOGETHER_API_KEY,
DEBUG=mediaconduit:* (the debug log: each load step, git command, dependency and model call).

Exit codes: 0 done; 1 failed with a typed error (its code is printed; NOT_BUILT before a build);
2 usage error or bad value; 3 a check found problems (validate, cache verify, bench); 70 internal
error; 130 interrupted. A reader that stops early (mediaconduit … | head) ends the command with 0.`;

/** The options of commands that load providers. */
function registryOptions(command: Command, { config = true } = {}): Command {
  command
    .option('--cache-dir <dir>', 'cache folder (default: $MEDIACONDUIT_CACHE_DIR or ./cache)')
    .option('--lockfile <file>', 'lockfile (default: $MEDIACONDUIT_LOCKFILE or ./mediaconduit.lock.json)')
    .option('--no-lockfile', 'neither read nor write a lockfile')
    .option('--offline', 'never touch the network; everything must be in the cache')
    .option('--frozen', 'refuse any lockfile change (for CI)')
    .addOption(
      new Option(
        '--isolation <mode>',
        'where providers run: process (a child process of their own, no secrets), none (this process), auto (process for code from the network)',
      ).choices(['process', 'none', 'auto']),
    );
  if (config) command.option('--config <key=value>', "a setting for the provider's factory (repeatable), e.g. --config seed=7", collect);
  return command;
}

function cacheOptions(command: Command): Command {
  return command
    .option('--cache-dir <dir>', 'cache folder (default: $MEDIACONDUIT_CACHE_DIR or ./cache)')
    .option('--lockfile <file>', 'lockfile (default: $MEDIACONDUIT_LOCKFILE or ./mediaconduit.lock.json)')
    .option('--no-lockfile', 'treat every entry as unpinned');
}

/** Builds the command tree; `run(ctx => …)` runs an action with the command's context. */
function program(io: CliIo, setResult: (code: number) => void, contexts: Context[]): Command {
  const root = new Command('mediaconduit');
  const act =
    <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<{ json?: boolean; debug?: boolean; quiet?: boolean }>();
      const ctx = new Context(io, globals.json === true, globals.debug === true, globals.quiet === true);
      contexts.push(ctx);
      // Commander passes the positionals, then the command's options, then the command.
      const positionals = args.slice(0, -2);
      setResult(await fn(ctx, ...([...positionals, command.opts()] as A)));
    };

  root
    .description(`load AI media providers from Git (mediaconduit ${CLI_VERSION})`)
    .usage('<command> [options]')
    .option('--json', 'machine-readable output: one JSON document on stdout (errors too)')
    .option('--debug', 'print the debug log, and stacks with errors')
    .option('-q, --quiet', 'print results, warnings and errors only: no progress lines')
    .option('-v, --version', 'print the versions of the CLI, core, the provider contract and Node (with --json: as JSON)')
    .helpOption('-h, --help', 'show help (also: mediaconduit <command> --help)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => {}, // reported by main, as one line or as JSON
    })
    .addHelpText('after', ROOT_HELP_AFTER);

  const sub = (parent: Command, name: string, description: string) =>
    parent
      .command(name)
      .description(description)
      .showSuggestionAfterError(true)
      .exitOverride()
      .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t), outputError: () => {} });

  registryOptions(sub(root, 'load', 'load a provider and list its models per capability').argument('<spec>', 'provider specifier')).action(
    act(async (ctx, spec: string, flags: RegistryFlags) => (await import('./commands/load.js')).loadCommand(ctx, spec, flags)),
  );

  registryOptions(
    sub(root, 'models', 'list models with context length and pricing')
      .argument('<spec>', 'provider specifier')
      .addOption(new Option('--capability <capability>', 'only models of this capability').choices(CAPABILITIES)),
  ).action(act(async (ctx, spec: string, flags: RegistryFlags & { capability?: string }) => (await import('./commands/load.js')).modelsCommand(ctx, spec, flags)));

  registryOptions(
    sub(root, 'run', 'call a model once: text streams to stdout, images and audio go to a file')
      .argument('<spec>', 'provider specifier')
      .argument('<model>', 'model id (mediaconduit models <spec> lists them)')
      .argument('<input>', 'the prompt (- reads stdin); for a transcription, the audio file')
      .option('-o, --output <file>', 'where to write the result (- for stdout); default: a new file named after the kind and time')
      .option('--opt <key=value>', 'a call option (repeatable), e.g. --opt width=512 --opt seed=7 --opt max-tokens=60', collect)
      .addOption(new Option('--capability <capability>', 'the capability to call the model as (default: what the provider lists)').choices(CAPABILITIES)),
  ).action(act(async (ctx, spec: string, model: string, input: string, flags: RunFlags) => (await import('./commands/run.js')).runCommand(ctx, spec, model, input, flags)));

  registryOptions(sub(root, 'lock', 'pin providers and fill the cache, running none of their code (no spec: every pinned provider)'), {
    config: false,
  })
    .argument('[spec...]', 'provider specifiers')
    .action(act(async (ctx, specs: string[], flags: RegistryFlags) => (await import('./commands/lock.js')).lockCommand(ctx, specs, flags)));

  registryOptions(sub(root, 'update', 're-resolve providers and move their lockfile pins (no spec: every pinned provider)'), { config: false })
    .argument('[spec...]', 'provider specifiers')
    .option('--accept-moved-tags', 'accept a tag that now points at another commit')
    .action(act(async (ctx, specs: string[], flags: RegistryFlags & { acceptMovedTags?: boolean }) => (await import('./commands/lock.js')).updateCommand(ctx, specs, flags)));

  const cache = sub(root, 'cache', 'list, verify, prune or clean the cache');
  cacheOptions(sub(cache, 'ls', 'list cache entries with their size and whether the lockfile pins them')).action(
    act(async (ctx, flags: RegistryFlags) => (await import('./commands/cache.js')).cacheLsCommand(ctx, flags)),
  );
  cacheOptions(sub(cache, 'verify', 'recompute every cache hash'))
    .option('--fix', 'delete broken entries (the next load fetches or builds them again)')
    .action(act(async (ctx, flags: RegistryFlags & { fix?: boolean }) => (await import('./commands/cache.js')).cacheVerifyCommand(ctx, flags)));
  cacheOptions(sub(cache, 'prune', 'delete entries the lockfile does not pin')).action(
    act(async (ctx, flags: RegistryFlags) => (await import('./commands/cache.js')).cachePruneCommand(ctx, flags)),
  );
  sub(cache, 'clean', 'delete everything that can be fetched or built again (training job records stay)')
    .option('--cache-dir <dir>', 'cache folder (default: $MEDIACONDUIT_CACHE_DIR or ./cache)')
    .action(act(async (ctx, flags: RegistryFlags) => (await import('./commands/cache.js')).cacheCleanCommand(ctx, { ...flags, lockfile: false })));

  registryOptions(sub(root, 'validate', 'run the conformance checks on a provider folder or specifier').argument('<path|spec>', 'a provider folder, or a specifier'), {
    config: false,
  }).action(
    act(async (ctx, target: string, flags: RegistryFlags) => {
      const { runValidate } = await import('./validate.js');
      return runValidate(ctx, target, flags);
    }),
  );

  sub(root, 'init', 'scaffold a new provider: a minimal one with one model, or the full mock with --template mock')
    .argument('[dir]', 'folder to create, or an empty one (or one holding only package.json, package-lock.json, node_modules, .git)', '.')
    .option('--id <id>', "the provider id (lowercase letters, digits and dashes), e.g. acme-images; default: the folder's name")
    .option('--name <name>', 'a human-readable name')
    .addOption(new Option('--template <template>', 'what to start from').choices(['minimal', 'mock']).default('minimal'))
    .action(
      act(async (ctx, dir: string, flags: InitFlags) => {
        const { initCommand } = await import('./init-provider.js');
        return initCommand(ctx, dir, flags);
      }),
    );

  sub(root, 'bench', 'benchmark loads and requests against side-by-side baselines (loopback only)')
    .option('--rounds <n>', 'timed rounds per figure', '7')
    .option('--smoke', 'a run that ends in seconds: every figure from a tiny sample, no target judged (for tests and a first look)')
    .option('--out <file>', 'also write the report as markdown to <file>, and as JSON beside it (<file>.json)')
    .addOption(new Option('--only <group>', 'run one group').choices(['load', 'concurrency', 'requests']))
    .action(act(async (ctx, flags: BenchFlags) => (await import('./bench/bench-command.js')).benchCommand(ctx, flags)));

  const train = sub(root, 'train', 'fine-tune models: start, list, status, wait, cancel, watch, publish');
  registryOptions(sub(train, 'start', 'check and upload training data, and start a LoRA training job'))
    .argument('<spec>', 'provider specifier')
    .requiredOption('--data <path...>', 'training images or JSONL files, or folders of them')
    .option('--base-model <model>', 'the model to train (default: the provider’s)')
    .option('--trigger-word <word>', 'the word that invokes what was learnt')
    .option('--suffix <text>', 'a name suffix for the trained model')
    .option('--epochs <n>', 'training epochs')
    .option('--learning-rate <x>', 'learning rate')
    .option('--batch-size <n|max>', 'batch size')
    .option('--lora-rank <n>', 'LoRA rank')
    .option('--lora-alpha <n>', 'LoRA alpha')
    .option('--steps <n>', 'optimiser steps (trainers counted in steps, such as fal’s)')
    .option('--resolution <px>', 'side in pixels the images are trained at, where the trainer takes one')
    .option('--style', 'image LoRAs: learn a style rather than a subject')
    .option('--no-masks', 'image LoRAs: no segmentation masks')
    .option('--trainer <id>', 'which of the provider’s trainers runs the job (fal: fal-ai/flux-lora-portrait-trainer)')
    .option('--wait', 'follow the job until it ends')
    .option('--poll-ms <ms>', 'how often to read the job while waiting')
    .action(act(async (ctx, spec: string, flags: TrainStartFlags) => (await import('./commands/train.js')).trainStartCommand(ctx, spec, flags)));
  registryOptions(sub(train, 'list', 'jobs recorded on this machine, newest first'), { config: false })
    .option('--spec <spec>', 'only jobs of this provider (specifier or id)')
    .action(act(async (ctx, flags: TrainJobFlags) => (await import('./commands/train.js')).trainListCommand(ctx, flags)));
  registryOptions(sub(train, 'watch', 'follow every unfinished job until each has ended, recording each change; make sample images'))
    .option('--spec <spec>', 'only jobs of this provider (specifier or id)')
    .option('--sample-prompt <prompt...>', 'make a sample image with each completed image LoRA ({trigger} is its trigger word)')
    .option('--poll-ms <ms>', 'time between rounds', '10000')
    .option('--once', 'one round: read every unfinished job once, then exit')
    .option('--forever', 'keep watching for new jobs once every job has ended')
    .action(act(async (ctx, flags: TrainWatchFlags) => (await import('./commands/train.js')).trainWatchCommand(ctx, flags)));
  for (const [name, description, fn] of [
    ['status', "a job's state now, and its last events", 'trainStatusCommand'],
    ['wait', 'follow a job until it ends, with live progress', 'trainWaitCommand'],
    ['cancel', 'ask the provider to stop a job', 'trainCancelCommand'],
  ] as const) {
    const command = registryOptions(sub(train, name, description))
      .argument('<id>', 'job id (mediaconduit train list shows them)')
      .option('--spec <spec>', 'the provider, when the id is recorded for several');
    if (name === 'wait') command.option('--poll-ms <ms>', 'how often to read the job');
    command.action(act(async (ctx, id: string, flags: TrainJobFlags) => (await import('./commands/train.js'))[fn](ctx, id, flags)));
  }
  registryOptions(sub(train, 'publish', "a completed image LoRA's weights at a URL any service can download (uploaded through --to's storage when they are not at one yet)"))
    .argument('<id>', 'job id (mediaconduit train list shows them)')
    .option('--spec <spec>', 'the provider, when the id is recorded for several')
    .option('--to <spec>', "the provider whose public storage takes the weights (fal's), for weights inline or on this machine")
    .option('--scale <n>', 'the adapter scale to print (default 1)')
    .action(act(async (ctx, id: string, flags: TrainPublishFlags) => (await import('./commands/train.js')).trainPublishCommand(ctx, id, flags)));
  return root;
}

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.OK;
  const contexts: Context[] = [];
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  const root = program(io, (c) => (code = c), contexts);
  if (argv.length > 0 && argv.every((arg) => arg === '-v' || arg === '--version' || arg === '--json')) return printVersion(io, json);
  try {
    await root.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    // The reader of stdout went away (`| head`): what was wanted has been read; end quietly.
    if (io.outputClosed?.()) return EXIT.OK;
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      if (error.code === 'commander.unknownOption' && (argv.includes('-v') || argv.includes('--version'))) return printVersion(io, json);
      return report(io, new UsageError(commanderMessage(error, root), commandPath(argv, root)), json, debug);
    }
    if (io.signal?.aborted) {
      if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'ABORTED', message: 'interrupted' } })}\n`);
      else io.stderr.write('error ABORTED: interrupted\n');
      return EXIT.INTERRUPTED;
    }
    return report(
      io,
      error,
      json,
      debug,
      contexts.flatMap((c) => c.pathFlags),
    );
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
}

function report(io: CliIo, error: unknown, json: boolean, debug: boolean, pathFlags: readonly PathFlag[] = []): number {
  const reported = reportError(error, pathFlags);
  if (json) io.stdout.write(`${JSON.stringify(reported.json, null, 2)}\n`);
  else io.stderr.write(`${printable(reported.line)}\n`);
  if (debug && reported.debugText) io.stderr.write(`${printable(reported.debugText)}\n`);
  return reported.exitCode;
}

async function printVersion(io: CliIo, json: boolean): Promise<number> {
  const { CORE_VERSION } = await import('@mediaconduit/core');
  const versions = { cli: CLI_VERSION, core: CORE_VERSION, contract: CONTRACT_VERSION, node: process.versions.node };
  io.stdout.write(
    json
      ? `${JSON.stringify(versions, null, 2)}\n`
      : `mediaconduit ${CLI_VERSION} (@mediaconduit/core ${CORE_VERSION}, provider contract ${CONTRACT_VERSION}, node ${process.versions.node})\n`,
  );
  return EXIT.OK;
}

/**
 * Commander's message as one line without its `error: ` prefix; a suggestion becomes "did you
 * mean …?", and a flag of another command says which commands have it.
 */
function commanderMessage(error: CommanderError, root: Command): string {
  let message = error.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.+)\?\)/, '; did you mean $1?')
    .replace(/\n/g, ' ');
  const flag = /^unknown option '(--?[^'=]+)/.exec(message)?.[1];
  if (flag && !message.includes('did you mean')) {
    const owners: string[] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        const at = [...path, sub.name()];
        if (sub.options.some((o) => o.long === flag || o.short === flag)) owners.push(at.join(' '));
        walk(sub, at);
      }
    };
    walk(root, []);
    if (owners.length > 0) message += `; ${flag} is an option of: ${owners.join(', ')}`;
  }
  return message;
}

/** The command the arguments name (`cache verify`), to point at its help. */
function commandPath(argv: readonly string[], root: Command): string | undefined {
  const names: string[] = [];
  let at: Command = root;
  for (const arg of argv) {
    if (arg.startsWith('-')) continue;
    const next = at.commands.find((c) => c.name() === arg);
    if (!next) break;
    names.push(arg);
    at = next;
  }
  return names.length > 0 ? names.join(' ') : undefined;
}
