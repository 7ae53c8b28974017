import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOTSTRAP_STATE_FILE } from './bootstrap-stack';
import type { PlatformConfig } from './config-schema';
import { validateConfig } from './validate-config';

/**
 * `npm run doctor`: what stands between this checkout and a working `npm run deploy`. Two kinds of checks:
 *
 * - the configuration's shipped placeholders (pure, no I/O; main.ts counts them for its synth warning), and
 * - the deploy machine: `az` signed in to the configured tenant, `kubelogin`, `terraform` 1.11+, `GITHUB_TOKEN`, and
 *   `state-bootstrap` applied. Their commands, environment and file reads are injected, so tests stub them.
 *
 * Every check becomes one line, `ok    <what>` or `FAIL  <what>: <why>; <what to do>`; any FAIL blocks a deploy.
 */

// ---------------------------------------------------------------------------------------------------------------------
// Placeholders in the configuration (pure)

/** The sample repository of stacks/environments.ts. */
export const SAMPLE_REPOSITORY = 'contoso/ai-platform';

/** The sample's reviewer IDs (environments.prod.github.reviewers): a user and a team that are not yours. */
export const SAMPLE_REVIEWER_IDS: readonly number[] = [1234567, 7654321];

/** The IPv4 documentation ranges of RFC 5737: no real client ever has an address in them. */
export const DOCUMENTATION_RANGES: readonly string[] = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];

export type PlaceholderKind = 'guid' | 'repository' | 'reviewer' | 'documentation-range';

/** One shipped placeholder left in the configuration. */
export interface PlaceholderFinding {
  /** Its config path, as validation names fields: `environments.prod.cluster.authorizedIpRanges[0]`. */
  readonly path: string;
  readonly value: string | number;
  readonly kind: PlaceholderKind;
  /** What it is and what to put there instead. */
  readonly message: string;
}

const GUID_GROUPS = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

/**
 * A placeholder GUID: each of its five groups is one hex digit repeated (`11111111-2222-3333-4444-555555555555`,
 * `aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee`, the all-zero `00000000-0000-0000-0000-000000000000`). A real tenant,
 * subscription or object ID is random; one of this shape has a chance of about 2^-108.
 */
export function isPlaceholderGuid(value: string): boolean {
  const groups = GUID_GROUPS.exec(value);
  return groups !== null && groups.slice(1).every((group) => /^(.)\1*$/.test(group));
}

/** An IPv4 address or CIDR range as [network, prefix length], or undefined for anything else. */
function parseIpv4Range(value: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value.trim());
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return [address, prefix];
}

/** The documentation range (RFC 5737) that holds all of `value` (an IPv4 address or CIDR range), if any. */
export function documentationRangeOf(value: string): string | undefined {
  const range = parseIpv4Range(value);
  if (!range) return undefined;
  const [address, prefix] = range;
  return DOCUMENTATION_RANGES.find((doc) => {
    const [network] = parseIpv4Range(doc) as [number, number];
    return prefix >= 24 && Math.floor(address / 256) === Math.floor(network / 256);
  });
}

/** What to put in a GUID field, by its path. */
function guidAdvice(path: string): string {
  if (/(^|\.)tenantId$/.test(path)) return 'set your Entra ID tenant ID (az account show --query tenantId -o tsv)';
  if (/(^|\.)subscriptionId$/.test(path)) return 'set your subscription ID (az account list --query "[].{name:name, id:id}" -o table)';
  if (/\.adminGroupObjectIds\[\d+\]$/.test(path)) return 'set the object ID of your cluster admins\' Entra ID group (az ad group show --group <name> --query id -o tsv)';
  return 'set the real ID';
}

/** What an allow-list entry in a documentation range does once deployed, by its path. */
function rangeEffect(path: string): string {
  if (/\.cluster\.authorizedIpRanges\[\d+\]$/.test(path)) return 'deployed as is, it locks everyone, your runners included, out of the API server';
  if (/\.registry\.allowedIpRanges\[\d+\]$/.test(path)) return 'deployed as is, no runner or admin can reach the registry';
  return 'no real client has an address in it';
}

const REVIEWER = /^environments\.[^[]+\.github\.reviewers\.(users|teams)\[\d+\]$/;

/**
 * Every shipped placeholder left in `config`, in config order: placeholder GUIDs (see isPlaceholderGuid) in any
 * field, the sample repository, the sample's reviewer IDs, and any IPv4 address or range inside a documentation range
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) in any field, which covers every allow-list
 * (cluster.authorizedIpRanges, registry.allowedIpRanges). Reads any value, even a malformed config, without throwing.
 */
export function placeholderFindings(config: PlatformConfig | unknown): PlaceholderFinding[] {
  const findings: PlaceholderFinding[] = [];
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, path === '' ? key : `${path}.${key}`);
    } else if (typeof value === 'number') {
      const match = REVIEWER.exec(path);
      if (match && SAMPLE_REVIEWER_IDS.includes(value)) {
        const how = match[1] === 'users' ? 'a GitHub user ID (gh api users/<login> --jq .id)' : 'a GitHub team ID (gh api orgs/<org>/teams/<team-slug> --jq .id)';
        findings.push({ path, value, kind: 'reviewer', message: `${value} is the sample's placeholder reviewer ID; set ${how}` });
      }
    } else if (typeof value === 'string') {
      const documentation = documentationRangeOf(value);
      if (isPlaceholderGuid(value)) {
        findings.push({ path, value, kind: 'guid', message: `${value} is a placeholder GUID; ${guidAdvice(path)}` });
      } else if (path === 'repository' && value.toLowerCase() === SAMPLE_REPOSITORY) {
        findings.push({ path, value, kind: 'repository', message: `${value} is the sample repository; set the owner/name of your GitHub repository whose workflows deploy (gh repo view --json nameWithOwner --jq .nameWithOwner)` });
      } else if (documentation !== undefined) {
        findings.push({
          path, value, kind: 'documentation-range',
          message: `${value} is ${value.trim() === documentation ? 'a documentation range (RFC 5737)' : `inside the documentation range ${documentation} (RFC 5737)`}: ${rangeEffect(path)}; use your runners' and admins' egress ranges (curl -s https://api.ipify.org shows yours)`,
        });
      }
    }
  };
  visit(config, '');
  return findings;
}

/** The one line synth prints on standard error while placeholders remain, or undefined when none does. */
export function placeholderWarning(config: PlatformConfig): string | undefined {
  const count = placeholderFindings(config).length;
  if (count === 0) return undefined;
  return `warning: the configuration (stacks/environments.ts) still has ${count} shipped placeholder${count === 1 ? '' : 's'}; run npm run doctor`;
}

// ---------------------------------------------------------------------------------------------------------------------
// The deploy machine (I/O through DoctorEnvironment)

/** What a command did: exit status and output, or why it could not run. */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** 'not-found' when the command is not on PATH, 'timeout' when it ran too long, else the spawn error's message. */
  readonly error?: string;
}

export type CommandRunner = (command: string, args: readonly string[]) => CommandResult;

/** Everything the environment checks read, injectable for tests. */
export interface DoctorEnvironment {
  readonly run: CommandRunner;
  /** Environment variables (GITHUB_TOKEN). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A file's text, or undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
  /** The repository root, where state-bootstrap keeps its local state. */
  readonly root: string;
}

/** Seconds any one command may take; az can be slow on a cold token cache. */
export const COMMAND_TIMEOUT_SECONDS = 30;

/** Runs a command with a timeout and CHECKPOINT_DISABLE=1 (terraform calls no checkpoint service). */
export const runCommand: CommandRunner = (command, args) => {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: COMMAND_TIMEOUT_SECONDS * 1000,
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // az is az.cmd on Windows, which only a shell runs.
    shell: process.platform === 'win32',
  });
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  const error = code === 'ENOENT' ? 'not-found' : code === 'ETIMEDOUT' ? 'timeout' : result.error?.message;
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', ...(error ? { error } : {}) };
};

/** This machine: real commands, process.env, the file system, the repository root. */
export function systemEnvironment(): DoctorEnvironment {
  return {
    run: runCommand,
    env: process.env,
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    root: join(__dirname, '..'),
  };
}

/** The result of one check: one output line. */
export interface Check {
  readonly ok: boolean;
  readonly text: string;
}

const ok = (text: string): Check => ({ ok: true, text });
const fail = (text: string): Check => ({ ok: false, text });

/** The first non-empty line of a command's output, for messages. */
const firstLine = (text: string) => text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';

/** Why a command gave no usable answer, for messages. */
function commandFailure(command: string, result: CommandResult): string {
  if (result.error === 'timeout') return `${command} did not answer within ${COMMAND_TIMEOUT_SECONDS} s`;
  if (result.error === 'not-found') return `${command.split(' ')[0]} is not on PATH`;
  if (result.error !== undefined) return `${command} could not run (${result.error})`;
  const said = firstLine(result.stderr) || firstLine(result.stdout);
  return `${command} exited ${result.status}${said ? ` (${said})` : ''}`;
}

export const MIN_TERRAFORM = [1, 11] as const;

const AZ_INSTALL = 'install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli)';

/** The configured tenants, each with the config paths that name it. */
function configuredTenants(config: PlatformConfig): Map<string, string[]> {
  const tenants = new Map<string, string[]>();
  const add = (tenant: unknown, path: string) => {
    if (typeof tenant !== 'string' || tenant === '') return;
    const key = tenant.toLowerCase();
    tenants.set(key, [...(tenants.get(key) ?? []), path]);
  };
  add(config.state?.tenantId, 'state.tenantId');
  for (const [name, env] of Object.entries(config.environments ?? {})) add(env?.tenantId, `environments.${name}.tenantId`);
  return tenants;
}

/** `az` is installed and signed in to every configured tenant (az account show). */
export function checkAzure(config: PlatformConfig, machine: DoctorEnvironment): Check[] {
  const tenants = configuredTenants(config);
  const login = (tenant: string) => `az login --tenant ${tenant}`;
  const wanted = [...tenants.keys()];
  const result = machine.run('az', ['account', 'show', '--query', 'tenantId', '-o', 'tsv']);
  if (result.error === 'not-found') return [fail(`az: the Azure CLI is not on PATH; the azurerm provider and the state backend sign in with it: ${AZ_INSTALL}, then ${login(wanted[0] ?? '<tenant>')}`)];
  if (result.error !== undefined || result.status !== 0) {
    return [fail(`az: not signed in: ${commandFailure('az account show', result)}; run ${login(wanted[0] ?? '<tenant>')}`)];
  }
  const current = result.stdout.trim().toLowerCase();
  if (wanted.length === 0) return [ok(`az signed in to tenant ${current} (the configuration names no tenant)`)];
  return wanted.map((tenant) => {
    const paths = (tenants.get(tenant) as string[]).join(', ');
    if (tenant === current) return ok(`az signed in to tenant ${tenant} (${paths})`);
    return fail(`az: signed in to tenant ${current || '(none)'}, but ${paths} is ${tenant}; run ${login(tenant)}`);
  });
}

/**
 * `kubelogin` is on PATH: the helm provider of every workload-<env>-<app> and platform-<env>-admission stack gets
 * its AKS token from it.
 */
export function checkKubelogin(machine: DoctorEnvironment): Check {
  const result = machine.run('kubelogin', ['--version']);
  const how = 'install it (az aks install-cli, or https://azure.github.io/kubelogin/install.html)';
  if (result.error === 'not-found') return fail(`kubelogin: not on PATH; the helm provider of the workload and admission stacks gets its AKS token with it (the cluster has no local accounts): ${how}`);
  if (result.error !== undefined) return fail(`kubelogin: ${commandFailure('kubelogin --version', result)}; ${how}`);
  const version = /v?\d+\.\d+\.\d+/.exec(`${result.stdout}\n${result.stderr}`)?.[0];
  return ok(`kubelogin ${version ?? 'on PATH'}`);
}

/** `terraform` is 1.11 or later (terraform version -json), the version the kit's workflows pin. */
export function checkTerraform(machine: DoctorEnvironment): Check {
  const wanted = `${MIN_TERRAFORM.join('.')}+`;
  const how = `install Terraform ${wanted} (https://developer.hashicorp.com/terraform/install; the workflows use 1.11.4)`;
  const result = machine.run('terraform', ['version', '-json']);
  if (result.error === 'not-found') return fail(`terraform: not on PATH; cdktf deploy runs it: ${how}`);
  if (result.error !== undefined || result.status !== 0) return fail(`terraform: ${commandFailure('terraform version -json', result)}; ${how}`);
  let version: unknown;
  try {
    version = (JSON.parse(result.stdout) as { terraform_version?: unknown }).terraform_version;
  } catch {
    version = undefined;
  }
  const parts = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
  if (!parts) return fail(`terraform: cannot read its version from terraform version -json (${firstLine(result.stdout) || 'no output'}); ${how}`);
  const [major, minor] = [Number(parts[1]), Number(parts[2])];
  if (major < MIN_TERRAFORM[0] || (major === MIN_TERRAFORM[0] && minor < MIN_TERRAFORM[1])) {
    return fail(`terraform ${version as string} is older than ${wanted}; ${how}`);
  }
  return ok(`terraform ${version as string}`);
}

/** A GitHub token in GITHUB_TOKEN: the github provider manages the environments, their secrets and variables with it. */
export function checkGithubToken(machine: DoctorEnvironment): Check {
  if ((machine.env.GITHUB_TOKEN ?? '').trim() !== '') return ok('GITHUB_TOKEN is set');
  const from = (machine.env.GH_TOKEN ?? '').trim() !== '' ? 'export GITHUB_TOKEN="$GH_TOKEN"' : 'export GITHUB_TOKEN="$(gh auth token)"';
  return fail(`GITHUB_TOKEN: not set; the github provider of state-bootstrap and platform-<env> writes the GitHub environments, secrets and variables with it: ${from} (a token that may administer the repository)`);
}

/**
 * state-bootstrap was applied: its local state file (terraform.state-bootstrap.tfstate at the repository root) has
 * resources. Without that file (it may have been migrated into the storage account), the state storage account
 * itself is looked up with `az storage account show`.
 */
export function checkStateBootstrap(config: PlatformConfig, machine: DoctorEnvironment): Check {
  const run = 'run it once, as an administrator: npm run deploy -- state-bootstrap (README: "Order of deployment")';
  const text = machine.readFile(join(machine.root, BOOTSTRAP_STATE_FILE));
  if (text !== undefined) {
    let resources: unknown;
    try {
      resources = (JSON.parse(text) as { resources?: unknown }).resources;
    } catch {
      return fail(`state-bootstrap: ${BOOTSTRAP_STATE_FILE} is not a Terraform state file; restore it from your backup, or ${run}`);
    }
    const count = Array.isArray(resources) ? resources.length : 0;
    if (count === 0) return fail(`state-bootstrap: ${BOOTSTRAP_STATE_FILE} has no resources (never applied, or destroyed); ${run}`);
    return ok(`state-bootstrap applied (${count} resources in ${BOOTSTRAP_STATE_FILE})`);
  }
  const { storageAccountName, resourceGroupName, subscriptionId } = config.state ?? ({} as Partial<PlatformConfig['state']>);
  if (!storageAccountName || !resourceGroupName || !subscriptionId) return fail(`state-bootstrap: no ${BOOTSTRAP_STATE_FILE} at the repository root; ${run}`);
  const result = machine.run('az', ['storage', 'account', 'show', '--name', storageAccountName, '--resource-group', resourceGroupName, '--subscription', subscriptionId, '--query', 'name', '-o', 'tsv']);
  if (result.error === undefined && result.status === 0 && result.stdout.trim() !== '') {
    return ok(`state-bootstrap applied (no local ${BOOTSTRAP_STATE_FILE}; its state storage account ${storageAccountName} exists, by az storage account show)`);
  }
  return fail(`state-bootstrap: no ${BOOTSTRAP_STATE_FILE} at the repository root, and no state storage account ${storageAccountName} found (${commandFailure('az storage account show', result)}); ${run}`);
}

/** Every check of the deploy machine, in the order a deploy needs them. */
export function environmentChecks(config: PlatformConfig, machine: DoctorEnvironment): Check[] {
  return [...checkAzure(config, machine), checkKubelogin(machine), checkTerraform(machine), checkGithubToken(machine), checkStateBootstrap(config, machine)];
}

/** The configuration's checks: valid (validateConfig), then each shipped placeholder as one failure. */
export function configChecks(config: PlatformConfig): Check[] {
  const problems = validateConfig(config);
  const findings = placeholderFindings(config);
  return [
    problems.length === 0
      ? ok('configuration is valid (stacks/environments.ts)')
      : fail(`configuration: ${problems.length} problem${problems.length === 1 ? '' : 's'}, the first: ${problems[0]}; npm run synth lists them all`),
    ...(findings.length === 0 ? [ok('configuration has no shipped placeholders')] : findings.map((f) => fail(`${f.path}: ${f.message}`))),
  ];
}

/** The line a check prints as: `ok    <text>` or `FAIL  <text>`. */
export const formatCheck = (check: Check): string => `${check.ok ? 'ok' : 'FAIL'}`.padEnd(6) + check.text;

/** Runs every check: the lines to print and the exit code (1 when anything blocks a deploy). */
export function doctor(config: PlatformConfig, machine: DoctorEnvironment): { lines: string[]; exitCode: number } {
  const checks = [...configChecks(config), ...environmentChecks(config, machine)];
  const failed = checks.filter((c) => !c.ok).length;
  const summary = failed === 0 ? 'doctor: ready to deploy' : `doctor: ${failed} check${failed === 1 ? '' : 's'} failed; fix ${failed === 1 ? 'it' : 'them'} before npm run deploy`;
  return { lines: [...checks.map(formatCheck), summary], exitCode: failed === 0 ? 0 : 1 };
}
