import { basename, join } from 'node:path';
import { BOOTSTRAP_STATE_FILE, BOOTSTRAP_STATE_PATH } from '../stacks/bootstrap-stack';
import {
  CommandResult, DoctorEnvironment, configChecks, doctor, documentationRangeOf, environmentChecks, formatCheck, isPlaceholderGuid,
  placeholderFindings, placeholderWarning, runCommand,
} from '../stacks/doctor';
import { PlatformConfig, config as shipped } from '../stacks/environments';
import { config, configCopy } from './helpers';

const TENANT = config.state.tenantId;

/** A deploy machine where everything a deploy needs is in place, with `change` applied; records the commands run. */
function machine(change: {
  run?: Record<string, CommandResult>;
  env?: Record<string, string | undefined>;
  stateFile?: string | undefined;
} = {}): DoctorEnvironment & { calls: string[]; reads: string[] } {
  const commands: Record<string, CommandResult> = {
    'az account show --query tenantId -o tsv': { status: 0, stdout: `${TENANT}\n`, stderr: '' },
    'kubelogin --version': { status: 0, stdout: 'kubelogin version\ngit hash: v0.2.13/0a1b2c3d\nGo version: go1.24.1\n', stderr: '' },
    'terraform version -json': { status: 0, stdout: JSON.stringify({ terraform_version: '1.11.4', platform: 'linux_amd64', provider_selections: {}, terraform_outdated: false }), stderr: '' },
    ...change.run,
  };
  const calls: string[] = [];
  const reads: string[] = [];
  const stateFile = 'stateFile' in change ? change.stateFile : JSON.stringify({ version: 4, resources: [{ type: 'azurerm_storage_account' }, { type: 'azurerm_resource_group' }] });
  return {
    calls,
    reads,
    run: (command, args) => {
      const line = [command, ...args].join(' ');
      calls.push(line);
      return commands[line] ?? { status: null, stdout: '', stderr: '', error: 'not-found' };
    },
    env: 'env' in change ? (change.env as Record<string, string | undefined>) : { GITHUB_TOKEN: 'ghp_fixture' },
    readFile: (path) => {
      reads.push(path);
      return stateFile;
    },
    root: '/checkout',
  };
}

const notFound: CommandResult = { status: null, stdout: '', stderr: '', error: 'not-found' };
const failLines = (lines: string[]) => lines.filter((l) => l.startsWith('FAIL  '));

/** Every [path, value] leaf of a config, with validation's path syntax (`environments.prod.cluster.authorizedIpRanges[0]`). */
function leaves(value: unknown, path = ''): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, path === '' ? k : `${path}.${k}`));
  return [[path, value]];
}

describe('the shipped configuration (stacks/environments.ts)', () => {
  // The one place a test reads the sample: the placeholders the kit ships must be caught. Expectations come from the
  // sample's literal values wherever they still are, so a configured kit (none left) keeps this green.
  const SAMPLE_VALUES: readonly unknown[] = [
    '11111111-2222-3333-4444-555555555555', '66666666-7777-8888-9999-000000000000', 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'contoso/ai-platform',
  ];
  const isSample = ([path, value]: [string, unknown]) => SAMPLE_VALUES.includes(value)
    || (/\.github\.reviewers\.(users|teams)\[\d+\]$/.test(path) && (value === 1234567 || value === 7654321))
    || (typeof value === 'string' && /^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(value));
  const expected = leaves(shipped).filter(isSample);

  test('doctor names each shipped placeholder by its config path, with what to put there', () => {
    const findings = placeholderFindings(shipped);
    const lines = configChecks(shipped).map(formatCheck);
    for (const [path, value] of expected) {
      expect(findings).toContainEqual(expect.objectContaining({ path, value }));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^FAIL  ${path.replace(/[.[\]]/g, '\\$&')}: ${String(value).replace(/[.]/g, '\\.')} .*; (set|use) `)));
    }
  });

  test('doctor fails while any placeholder remains, even with every tool in place', () => {
    const { exitCode } = doctor(shipped, machine({ run: { 'az account show --query tenantId -o tsv': { status: 0, stdout: shipped.state.tenantId, stderr: '' } } }));
    expect(exitCode).toBe(placeholderFindings(shipped).length > 0 ? 1 : 0);
  });
});

describe('placeholders in a copy of the tests\' configuration', () => {
  test('the tests\' configuration has none: only the tool checks can fail', () => {
    expect(placeholderFindings(config)).toEqual([]);
    expect(placeholderWarning(config)).toBeUndefined();
    expect(configChecks(config).map(formatCheck)).toEqual(['ok    configuration is valid (stacks/environments.ts)', 'ok    configuration has no shipped placeholders']);
    const { lines, exitCode } = doctor(config, machine({ run: { 'kubelogin --version': notFound, 'terraform version -json': notFound, 'az account show --query tenantId -o tsv': notFound }, env: {}, stateFile: undefined }));
    expect(exitCode).toBe(1);
    expect(failLines(lines).map((l) => l.slice(6).split(':')[0])).toEqual(['az', 'kubelogin', 'terraform', 'GITHUB_TOKEN', 'state-bootstrap']);
  });

  type Change = (c: ReturnType<typeof configCopy>) => void;
  test.each<[string, Change, string, string, RegExp]>([
    ['the sample subscription', (c) => { c.state.subscriptionId = '66666666-7777-8888-9999-000000000000'; }, 'state.subscriptionId', 'guid', /az account list/],
    ['an all-zero subscription', (c) => { c.environments.dev.subscriptionId = '00000000-0000-0000-0000-000000000000'; }, 'environments.dev.subscriptionId', 'guid', /az account list/],
    ['a repeated-digit group, in capitals', (c) => { c.environments.prod.cluster.adminGroupObjectIds[0] = 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE'; }, 'environments.prod.cluster.adminGroupObjectIds[0]', 'guid', /az ad group show/],
    ['the sample repository', (c) => { c.repository = 'contoso/ai-platform'; }, 'repository', 'repository', /owner\/name of your GitHub repository/],
    ['the sample reviewer user', (c) => { c.environments.prod.github.reviewers.users = [101, 1234567]; }, 'environments.prod.github.reviewers.users[1]', 'reviewer', /gh api users\/<login> --jq \.id/],
    ['the sample reviewer team', (c) => { c.environments.prod.github.reviewers.teams = [7654321]; }, 'environments.prod.github.reviewers.teams[0]', 'reviewer', /gh api orgs\/<org>\/teams\/<team-slug> --jq \.id/],
    ['TEST-NET-3 on the API server', (c) => { c.environments.staging.cluster.authorizedIpRanges = ['203.0.113.0/24']; }, 'environments.staging.cluster.authorizedIpRanges[0]', 'documentation-range', /locks everyone.*out of the API server; use your runners' and admins' egress ranges/],
    ['TEST-NET-1 on the registry', (c) => { c.environments.prod.registry.allowedIpRanges = ['198.18.20.0/24', '192.0.2.0/24']; }, 'environments.prod.registry.allowedIpRanges[1]', 'documentation-range', /registry; use your runners' and admins' egress ranges/],
    ['an address inside TEST-NET-2', (c) => { c.environments.prod.cluster.authorizedIpRanges[1] = '198.51.100.7'; }, 'environments.prod.cluster.authorizedIpRanges[1]', 'documentation-range', /inside the documentation range 198\.51\.100\.0\/24/],
    ['a range inside TEST-NET-3', (c) => { c.environments.prod.cluster.authorizedIpRanges[0] = '203.0.113.128/25'; }, 'environments.prod.cluster.authorizedIpRanges[0]', 'documentation-range', /inside the documentation range 203\.0\.113\.0\/24/],
  ])('%s', (_, change, path, kind, advice) => {
    const c = configCopy();
    change(c);
    const findings = placeholderFindings(c);
    expect(findings).toEqual([expect.objectContaining({ path, kind })]);
    expect(findings[0].message).toMatch(advice);
    const lines = doctor(c as PlatformConfig, machine()).lines;
    expect(failLines(lines)).toEqual([`FAIL  ${path}: ${findings[0].message}`]);
    expect(placeholderWarning(c as PlatformConfig)).toBe('warning: the configuration (stacks/environments.ts) still has 1 shipped placeholder; run npm run doctor');
  });

  test('the sample tenant, wherever it is named', () => {
    const c = configCopy();
    const sample = '11111111-2222-3333-4444-555555555555';
    c.state.tenantId = sample;
    for (const env of Object.values(c.environments)) env.tenantId = sample;
    const paths = ['state.tenantId', ...Object.keys(c.environments).map((e) => `environments.${e}.tenantId`)];
    const findings = placeholderFindings(c);
    expect(findings.map((f) => [f.path, f.kind])).toEqual(paths.map((p) => [p, 'guid']));
    for (const f of findings) expect(f.message).toBe(`${sample} is a placeholder GUID; set your Entra ID tenant ID (az account show --query tenantId -o tsv)`);
  });

  test('the synth warning counts every placeholder', () => {
    const c = configCopy();
    c.repository = 'contoso/ai-platform';
    c.environments.dev.tenantId = '00000000-0000-0000-0000-000000000000';
    expect(placeholderWarning(c as PlatformConfig)).toBe('warning: the configuration (stacks/environments.ts) still has 2 shipped placeholders; run npm run doctor');
  });

  test('what is not a placeholder', () => {
    for (const guid of [TENANT, '11111111-2222-3333-4444-555555555556', '12345678-1234-1234-1234-123456789012', 'not-a-guid']) expect(isPlaceholderGuid(guid)).toBe(false);
    for (const guid of ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '66666666-7777-8888-9999-000000000000']) expect(isPlaceholderGuid(guid)).toBe(true);
    // Ranges that only overlap a documentation range, neighbours, the benchmark range the fixture uses, and non-addresses.
    for (const range of ['203.0.0.0/16', '203.0.113.0/16', '203.0.112.0/23', '203.0.114.0/24', '198.18.20.0/24', '192.0.20.0/24']) expect(documentationRangeOf(range)).toBeUndefined();
    for (const text of ['203.0.113.300/24', '203.0.113.0/33', 'ai-app']) expect(documentationRangeOf(text)).toBeUndefined();
    expect(documentationRangeOf('203.0.113.0')).toBe('203.0.113.0/24');
    const c = configCopy();
    c.environments.dev.logAnalyticsRetentionDays = 1234567;
    expect(placeholderFindings(c)).toEqual([]);
  });

  test('a malformed configuration is read without throwing', () => {
    expect(placeholderFindings({ environments: { dev: null, prod: { github: { reviewers: { users: '1234567' } } } }, repository: 42 })).toEqual([]);
    expect(placeholderFindings(undefined)).toEqual([]);
  });
});

describe('the deploy machine, with stubbed commands', () => {
  test('everything in place: one ok line per check, exit 0', () => {
    const m = machine();
    const { lines, exitCode } = doctor(config, m);
    expect(lines).toEqual([
      'ok    configuration is valid (stacks/environments.ts)',
      'ok    configuration has no shipped placeholders',
      `ok    az signed in to tenant ${TENANT} (state.tenantId, ${Object.keys(config.environments).map((e) => `environments.${e}.tenantId`).join(', ')})`,
      'ok    kubelogin v0.2.13',
      'ok    terraform 1.11.4',
      'ok    GITHUB_TOKEN is set',
      `ok    state-bootstrap applied (2 resources in ${BOOTSTRAP_STATE_FILE})`,
      'doctor: ready to deploy',
    ]);
    expect(exitCode).toBe(0);
    expect(m.reads).toEqual([join('/checkout', BOOTSTRAP_STATE_FILE)]);
  });

  test('the state file it reads is the one the state-bootstrap stack writes', () => {
    expect(basename(BOOTSTRAP_STATE_PATH)).toBe(BOOTSTRAP_STATE_FILE);
  });

  const other = '0f0f0f0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
  test.each<[string, Parameters<typeof machine>[0], RegExp]>([
    ['signed in to another tenant', { run: { 'az account show --query tenantId -o tsv': { status: 0, stdout: `${other}\n`, stderr: '' } } }, new RegExp(`^FAIL  az: signed in to tenant ${other}, but state\\.tenantId, .* is ${TENANT}; run az login --tenant ${TENANT}$`)],
    ['not signed in', { run: { 'az account show --query tenantId -o tsv': { status: 1, stdout: '', stderr: "ERROR: Please run 'az login' to setup account.\n" } } }, new RegExp(`^FAIL  az: not signed in: az account show exited 1 \\(ERROR: Please run 'az login' to setup account\\.\\); run az login --tenant ${TENANT}$`)],
    ['no az', { run: { 'az account show --query tenantId -o tsv': notFound } }, /^FAIL  az: the Azure CLI is not on PATH.*install the Azure CLI/],
    ['terraform 1.10', { run: { 'terraform version -json': { status: 0, stdout: '{"terraform_version":"1.10.5"}', stderr: '' } } }, /^FAIL  terraform 1\.10\.5 is older than 1\.11\+; install Terraform 1\.11\+/],
    ['terraform 0.15', { run: { 'terraform version -json': { status: 0, stdout: '{"terraform_version":"0.15.5"}', stderr: '' } } }, /^FAIL  terraform 0\.15\.5 is older than 1\.11\+/],
    ['a terraform too old for -json', { run: { 'terraform version -json': { status: 0, stdout: 'Terraform v0.12.31\n', stderr: '' } } }, /^FAIL  terraform: cannot read its version from terraform version -json \(Terraform v0\.12\.31\)/],
    ['no terraform', { run: { 'terraform version -json': notFound } }, /^FAIL  terraform: not on PATH/],
    ['a terraform that hangs', { run: { 'terraform version -json': { status: null, stdout: '', stderr: '', error: 'timeout' } } }, /^FAIL  terraform: terraform version -json did not answer within 30 s/],
    ['no kubelogin', { run: { 'kubelogin --version': notFound } }, /^FAIL  kubelogin: not on PATH; the helm provider of the workload and admission stacks .*az aks install-cli/],
    ['no GITHUB_TOKEN', { env: {} }, /^FAIL  GITHUB_TOKEN: not set; .*export GITHUB_TOKEN="\$\(gh auth token\)"/],
    ['only GH_TOKEN', { env: { GH_TOKEN: 'ghp_x', GITHUB_TOKEN: '' } }, /^FAIL  GITHUB_TOKEN: not set; .*export GITHUB_TOKEN="\$GH_TOKEN"/],
    ['no bootstrap state, and no state storage account', { stateFile: undefined }, new RegExp(`^FAIL  state-bootstrap: no ${BOOTSTRAP_STATE_FILE} at the repository root, and no state storage account ${config.state.storageAccountName} found .*; run it once, as an administrator: npm run deploy -- state-bootstrap`)],
    ['a bootstrap state without resources (destroyed)', { stateFile: '{"version":4,"resources":[]}' }, /^FAIL  state-bootstrap: terraform\.state-bootstrap\.tfstate has no resources .*npm run deploy -- state-bootstrap/],
    ['a bootstrap state that is not JSON', { stateFile: '<<<<<<< HEAD' }, /^FAIL  state-bootstrap: terraform\.state-bootstrap\.tfstate is not a Terraform state file/],
  ])('%s: one FAIL line that says what to do, exit 1', (_, change, line) => {
    const { lines, exitCode } = doctor(config, machine(change));
    expect(failLines(lines)).toEqual([expect.stringMatching(line)]);
    expect(lines[lines.length - 1]).toBe('doctor: 1 check failed; fix it before npm run deploy');
    expect(exitCode).toBe(1);
  });

  test('a migrated bootstrap state: the state storage account is looked up instead', () => {
    const s = config.state;
    const lookup = `az storage account show --name ${s.storageAccountName} --resource-group ${s.resourceGroupName} --subscription ${s.subscriptionId} --query name -o tsv`;
    const m = machine({ stateFile: undefined, run: { [lookup]: { status: 0, stdout: `${s.storageAccountName}\n`, stderr: '' } } });
    const checks = environmentChecks(config, m);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(formatCheck(checks[checks.length - 1])).toBe(`ok    state-bootstrap applied (no local ${BOOTSTRAP_STATE_FILE}; its state storage account ${s.storageAccountName} exists, by az storage account show)`);
    expect(m.calls).toContain(lookup);
  });

  test('every check fails at once: one FAIL line each, nothing crashes', () => {
    const { lines, exitCode } = doctor(config, machine({ run: { 'az account show --query tenantId -o tsv': notFound, 'kubelogin --version': notFound, 'terraform version -json': notFound }, env: {}, stateFile: undefined }));
    expect(failLines(lines)).toHaveLength(5);
    expect(lines[lines.length - 1]).toBe('doctor: 5 checks failed; fix them before npm run deploy');
    expect(exitCode).toBe(1);
  });
});

describe('runCommand, the real runner', () => {
  test('a missing tool is a result, not a crash', () => {
    expect(runCommand('doctor-test-no-such-tool', ['--version'])).toEqual(expect.objectContaining({ error: 'not-found' }));
  });

  test('runs commands with CHECKPOINT_DISABLE=1', () => {
    const result = runCommand(process.execPath, ['-e', 'process.stdout.write(String(process.env.CHECKPOINT_DISABLE))']);
    expect(result).toEqual({ status: 0, stdout: '1', stderr: '' });
  });
});
