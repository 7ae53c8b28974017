/** Synthesis of the base git ref (in a temporary worktree) and of the working tree, in parallel. */
import { execFile, execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export class UsageError extends Error {}
export class SynthError extends Error {}

export const SYNTH_TIMEOUT_MS = 120_000;
const OUTPUT_TAIL_LINES = 30;

function git(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', [...args], { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function gitToplevel(projectDir: string): Promise<string> {
  const result = await git(['rev-parse', '--show-toplevel'], projectDir);
  if (result.code !== 0) throw new UsageError(`--base needs a git repository, and ${projectDir} is not inside one`);
  return result.stdout.trim();
}

export async function resolveCommit(projectDir: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new UsageError(`invalid git ref: ${ref}`);
  const result = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], projectDir);
  if (result.code !== 0) throw new UsageError(`unknown git ref "${ref}" (no such commit in ${projectDir})`);
  return result.stdout.trim();
}

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-OUTPUT_TAIL_LINES).join('\n');
}

/**
 * The command `cdktf synth` runs for the project in `projectDir`: its cdktf.json "app" (each side of a diff uses its
 * own, so a base from before a change of loader still synthesizes as it did). A leading `node` is this Node.
 */
export function appCommand(projectDir: string): { command: string; args: string[]; shell: boolean } {
  const file = path.join(projectDir, 'cdktf.json');
  let app: unknown;
  try {
    app = (JSON.parse(fs.readFileSync(file, 'utf8')) as { app?: unknown }).app;
  } catch (error) {
    throw new SynthError(`cannot read the app command from ${file}: ${(error as Error).message}`);
  }
  if (typeof app !== 'string' || app.trim() === '') throw new SynthError(`${file} has no "app" command to synthesize with`);
  const [program, ...args] = app.trim().split(/\s+/);
  // cdktf runs the command through a shell; a plain `node ...` needs none, and runs on the Node running plan-diff.
  if (program === 'node' && !/['"$`\\|&;<>(){}*?~]/.test(app)) return { command: process.execPath, args, shell: false };
  return { command: app, args: [], shell: true };
}

/** Runs the project's cdktf.json app (see appCommand) in `projectDir`, writing into `outDir` via CDKTF_OUTDIR. */
export function runSynth(
  label: string,
  projectDir: string,
  outDir: string,
  onSpawn: (child: ChildProcess) => void = () => undefined,
  timeoutMs = SYNTH_TIMEOUT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let app: ReturnType<typeof appCommand>;
    try {
      app = appCommand(projectDir);
    } catch (error) {
      return reject(error as Error);
    }
    fs.mkdirSync(outDir, { recursive: true });
    const child = spawn(app.command, app.args, {
      cwd: projectDir,
      shell: app.shell,
      env: { ...process.env, CDKTF_OUTDIR: outDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new SynthError(`synthesis of ${label} could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const reason = signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000}s` : `exit code ${code ?? signal}`;
      reject(new SynthError(`synthesis of ${label} failed (${reason}):\n${tail(output)}`));
    });
  });
}

export function hasStacksDir(outDir: string): boolean {
  return fs.existsSync(path.join(outDir, 'stacks'));
}

/** A scratch directory removed with everything in it (and the git worktree, when one was added). */
export class Workspace {
  readonly root: string;
  private worktree?: { readonly toplevel: string; readonly dir: string };
  private readonly children = new Set<ChildProcess>();
  private readonly onSignal = (): void => {
    this.cleanup();
    process.exit(130);
  };

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-diff-'));
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** `git worktree add --detach <root>/base-src <sha>`; returns the project directory inside it. */
  async addWorktree(projectDir: string, sha: string): Promise<string> {
    const toplevel = await gitToplevel(projectDir);
    const dir = path.join(this.root, 'base-src');
    const result = await git(['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', dir, sha], toplevel);
    if (result.code !== 0) throw new SynthError(`git worktree add failed: ${result.stderr.trim()}`);
    this.worktree = { toplevel, dir };
    const baseProject = path.join(dir, path.relative(toplevel, projectDir));
    const modules = path.join(baseProject, 'node_modules');
    const source = path.join(projectDir, 'node_modules');
    if (fs.existsSync(baseProject) && !fs.existsSync(modules) && fs.existsSync(source)) fs.symlinkSync(source, modules, 'dir');
    return baseProject;
  }

  /** Synthesis processes still running at cleanup (after a failure elsewhere) are killed. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  cleanup(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    if (this.worktree) {
      const { toplevel, dir } = this.worktree;
      this.worktree = undefined;
      try {
        execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: toplevel, stdio: 'ignore' });
      } catch {
        fs.rmSync(dir, { recursive: true, force: true });
        try {
          execFileSync('git', ['worktree', 'prune'], { cwd: toplevel, stdio: 'ignore' });
        } catch {
          // the worktree directory is already gone; a later `git worktree prune` tidies the metadata
        }
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
