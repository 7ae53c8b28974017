/**
 * plan-diff CLI: `npm run plan-diff -- --base <git ref>` (or `--base-dir`/`--head-dir`).
 * Argument parsing, synthesis and file I/O live here; comparison, gate and rendering are pure modules.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { diffSynth } from './diff';
import { evaluateGate, GATE_ACTIONS, parseAcknowledgments, protectedStacksFromEnvironments, type GateAction, type GateResult } from './gate';
import { InputError, loadSynthOutput } from './load';
import type { SynthOutput } from './model';
import { FALLBACK_PROTECTION, loadEnvironmentProtection, mergeProtection } from './protected-config';
import { render, type OutputFormat } from './render';
import { hasStacksDir, resolveCommit, runSynth, SynthError, UsageError, Workspace } from './synth';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_GATE_BLOCKED = 2;

export const USAGE = `Usage: npm run plan-diff -- (--base <git ref> | --base-dir <dir>) [--head-dir <dir>] [options]

Compares the synthesized Terraform JSON of every cdktf stack, resource by resource.

  --base <git ref>          synthesize <git ref> in a temporary git worktree
  --base-dir <dir>          use an already synthesized cdktf.out directory as the base
  --head-dir <dir>          use an already synthesized cdktf.out directory as the head
                            (default: synthesize the working tree)
  --format text|markdown    output format (default: text)
  --fail-on replace,destroy exit ${EXIT_GATE_BLOCKED} when a protected stack would replace/destroy a resource
  --protected <stacks>      comma-separated protected stacks (default: from stacks/environments.ts)
  --ack-file <file>         acknowledgments, e.g. the PR body; also read from env PLAN_DIFF_ACK.
                            Line format: plan-diff: allow replace|destroy <stack>/<construct path prefix>
  --help                    show this help

Exit codes: ${EXIT_OK} ok, ${EXIT_ERROR} usage or synthesis error, ${EXIT_GATE_BLOCKED} gate blocked.`;

export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface CliOptions {
  readonly base?: string;
  readonly baseDir?: string;
  readonly headDir?: string;
  readonly format: OutputFormat;
  readonly failOn?: ReadonlySet<GateAction>;
  readonly protectedStacks?: ReadonlySet<string>;
  readonly ackFile?: string;
  readonly help: boolean;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseFailOn(value: string): Set<GateAction> {
  const items = splitList(value);
  if (items.length === 0) throw new UsageError('--fail-on needs a comma-separated list of: replace, destroy');
  const result = new Set<GateAction>();
  for (const item of items) {
    const action = GATE_ACTIONS.find((a) => a === item);
    if (action === undefined) throw new UsageError(`--fail-on: unknown action "${item}" (use replace and/or destroy)`);
    result.add(action);
  }
  return result;
}

function parseRawArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        base: { type: 'string' },
        'base-dir': { type: 'string' },
        'head-dir': { type: 'string' },
        format: { type: 'string' },
        'fail-on': { type: 'string' },
        protected: { type: 'string' },
        'ack-file': { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const values = parseRawArgs(argv).values;
  const help = values.help === true;
  if (help) return { format: 'text', help };
  if ((values.base === undefined) === (values['base-dir'] === undefined)) {
    throw new UsageError('exactly one of --base <git ref> or --base-dir <dir> is required');
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'markdown') throw new UsageError(`--format must be text or markdown, not "${format}"`);
  if (values.protected !== undefined && values['fail-on'] === undefined) throw new UsageError('--protected only makes sense with --fail-on');
  return {
    format,
    help,
    ...(values.base !== undefined ? { base: values.base } : {}),
    ...(values['base-dir'] !== undefined ? { baseDir: values['base-dir'] } : {}),
    ...(values['head-dir'] !== undefined ? { headDir: values['head-dir'] } : {}),
    ...(values['fail-on'] !== undefined ? { failOn: parseFailOn(values['fail-on']) } : {}),
    ...(values.protected !== undefined ? { protectedStacks: new Set(splitList(values.protected)) } : {}),
    ...(values['ack-file'] !== undefined ? { ackFile: values['ack-file'] } : {}),
  };
}

interface Inputs {
  readonly base: SynthOutput;
  readonly head: SynthOutput;
  readonly baseLabel: string;
  readonly headLabel: string;
  readonly notices: string[];
  /** Project directories whose stacks/environments.ts decide protection (working tree and base worktree). */
  readonly configDirs: Array<{ readonly dir: string; readonly label: string }>;
}

function loadDir(dir: string, flag: string): SynthOutput {
  if (!fs.existsSync(dir)) throw new UsageError(`${flag} ${dir}: no such directory`);
  return loadSynthOutput(dir);
}

async function synthesizeInto(workspace: Workspace, label: string, projectDir: string, outName: string): Promise<SynthOutput> {
  const outDir = path.join(workspace.root, outName);
  await runSynth(label, projectDir, outDir, (child) => workspace.track(child));
  if (!hasStacksDir(outDir)) {
    throw new SynthError(`synthesis of ${label} wrote no stacks to ${outDir}: does main.ts pass an explicit outdir to App? plan-diff sets CDKTF_OUTDIR`);
  }
  return loadSynthOutput(outDir);
}

async function prepareInputs(options: CliOptions, io: CliIo, workspace: Workspace, log: (text: string) => void): Promise<Inputs> {
  const notices: string[] = [];
  const configDirs = [{ dir: io.cwd, label: 'working tree' }];
  const sha = options.base !== undefined ? await resolveCommit(io.cwd, options.base) : undefined;
  const baseLabel = options.base !== undefined && sha !== undefined ? `${options.base} (${sha.slice(0, 12)})` : (options.baseDir ?? '');
  const headLabel = options.headDir ?? 'working tree';
  const synthesized = [sha !== undefined ? baseLabel : undefined, options.headDir === undefined ? 'the working tree' : undefined].filter(
    (label): label is string => label !== undefined,
  );
  if (synthesized.length > 0) log(`plan-diff: synthesizing ${synthesized.join(' and ')}…\n`);

  let headPromise: Promise<SynthOutput>;
  if (options.headDir !== undefined) {
    headPromise = Promise.resolve(loadDir(path.resolve(io.cwd, options.headDir), '--head-dir'));
  } else if (!fs.existsSync(path.join(io.cwd, 'main.ts'))) {
    throw new UsageError(`no main.ts in ${io.cwd}: run plan-diff from the project root, or pass --head-dir`);
  } else {
    headPromise = synthesizeInto(workspace, 'the working tree', io.cwd, 'head-out');
  }
  headPromise.catch(() => undefined);

  let basePromise: Promise<SynthOutput>;
  if (sha !== undefined) {
    const baseProject = await workspace.addWorktree(io.cwd, sha);
    configDirs.push({ dir: baseProject, label: baseLabel });
    if (fs.existsSync(path.join(baseProject, 'main.ts'))) {
      basePromise = synthesizeInto(workspace, baseLabel, baseProject, 'base-out');
    } else {
      notices.push(`${baseLabel} has no main.ts: every stack is reported as new`);
      basePromise = Promise.resolve(new Map());
    }
  } else {
    basePromise = Promise.resolve(loadDir(path.resolve(io.cwd, options.baseDir ?? ''), '--base-dir'));
  }
  const [base, head] = await Promise.all([basePromise, headPromise]);
  return { base, head, baseLabel, headLabel, notices, configDirs };
}

async function protectedStacks(options: CliOptions, inputs: Inputs): Promise<Set<string>> {
  const stacks = new Set([...inputs.base.keys(), ...inputs.head.keys()]);
  if (options.protectedStacks) return new Set(options.protectedStacks);
  const loaded = [];
  for (const { dir, label } of inputs.configDirs) {
    const result = await loadEnvironmentProtection(dir);
    if (result.ok) loaded.push(result.protection);
    else inputs.notices.push(`${label}: ${result.reason}`);
  }
  if (loaded.length === 0) {
    inputs.notices.push('environment protection unknown: treating prod (and state-bootstrap) as protected');
    loaded.push(FALLBACK_PROTECTION);
  }
  return protectedStacksFromEnvironments(stacks, mergeProtection(...loaded));
}

function readAcknowledgments(options: CliOptions, io: CliIo): string {
  let text = io.env.PLAN_DIFF_ACK ?? '';
  if (options.ackFile !== undefined) {
    const file = path.resolve(io.cwd, options.ackFile);
    if (!fs.existsSync(file)) throw new UsageError(`--ack-file ${options.ackFile}: no such file`);
    text = `${text}\n${fs.readFileSync(file, 'utf8')}`;
  }
  return text;
}

async function run(options: CliOptions, io: CliIo): Promise<number> {
  const workspace = new Workspace();
  try {
    const inputs = await prepareInputs(options, io, workspace, io.stderr);
    let gate: GateResult | undefined;
    const diff = diffSynth(inputs.base, inputs.head);
    if (options.failOn) {
      const acknowledgments = parseAcknowledgments(readAcknowledgments(options, io));
      gate = evaluateGate(diff, { failOn: options.failOn, protectedStacks: await protectedStacks(options, inputs), acknowledgments });
    }
    io.stdout(
      render(options.format, {
        diff,
        baseLabel: inputs.baseLabel,
        headLabel: inputs.headLabel,
        notices: inputs.notices,
        ...(gate ? { gate } : {}),
      }),
    );
    return gate && !gate.passed ? EXIT_GATE_BLOCKED : EXIT_OK;
  } finally {
    workspace.cleanup();
  }
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const options = parseCliArgs(argv);
    if (options.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    return await run(options, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`plan-diff: ${error.message}\n(run with --help for usage)\n`);
    } else if (error instanceof InputError || error instanceof SynthError) {
      io.stderr(`plan-diff: ${error.message}\n`);
    } else {
      const detail = io.env.PLAN_DIFF_DEBUG && error instanceof Error ? `\n${error.stack ?? ''}` : '';
      io.stderr(`plan-diff: unexpected error: ${error instanceof Error ? error.message : String(error)}${detail}\n`);
    }
    return EXIT_ERROR;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`plan-diff: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT_ERROR;
    },
  );
}
