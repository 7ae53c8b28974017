/**
 * The generated Flux manifests (deploy/<env>): committed and current, the same release as the push path, every
 * substitution filled by the platform stack; and the workflows' script that records and promotes images.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { parse, parseAllDocuments } from 'yaml';
import { IMAGE_DIGEST, IMAGE_TAG } from '../constructs/names';
import { config as shipped } from '../stacks/environments';
import type { EnvironmentConfig, PlatformConfig } from '../stacks/environments';
import { PlatformStack } from '../stacks/platform-stack';
import { WorkloadStack } from '../stacks/workload-stack';
import { CHART_PATH } from '../stacks/props';
import { REGISTRY_VARIABLE, clientIdVariable } from '../stacks/gitops';
import { gitopsManifests, helmRelease, imageFile } from '../stacks/gitops-manifests';
import { applyGitOps, planGitOps } from '../stacks/gitops-files';
import { spawnSync } from 'node:child_process';
import { ROOT, configCopy, only, synthStack } from './helpers';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

/** The fixture with every environment delivered by GitOps (each with its own storage account). */
function allGitOps(): PlatformConfig {
  const c = configCopy();
  for (const env of Object.values(c.environments)) {
    env.delivery = 'gitops';
    env.gitops = { storageAccountName: `stgitops${env.name}` };
  }
  return c as PlatformConfig;
}

describe('deploy/ in this repository', () => {
  test('matches the shipped configuration (npm run gitops:generate, then commit)', () => {
    const plan = planGitOps(ROOT, shipped);
    expect({ write: [...plan.write.keys()], remove: plan.remove }).toEqual({ write: [], remove: [] });
  });

  test('exists exactly for the GitOps environments', () => {
    const envs = Object.values(shipped.environments);
    for (const env of envs) expect({ env: env.name, exists: existsSync(join(ROOT, 'deploy', env.name)) }).toEqual({ env: env.name, exists: env.delivery === 'gitops' });
  });
});

describe.each(Object.keys(configCopy().environments))('environment %s, delivered by GitOps', (name) => {
  const config = allGitOps();
  const env = config.environments[name] as EnvironmentConfig;
  const files = gitopsManifests(config);
  const docs = (path: string) => parseAllDocuments(files.get(path)!).map((d) => d.toJS() as Record<string, unknown>);

  test.each(env.applications.map((a) => [a.name, a] as const))('%s: the values Flux applies equal those the push path\'s helm_release applies', (_, app) => {
    const registry = 'acrexample.azurecr.io';
    const clientId = '00000000-0000-0000-0000-00000000c1d0';
    const workload = new WorkloadStack(Testing.app(), 'workload', {
      env, state: config.state, app, cluster: { host: 'https://api.example', clusterCaCertificate: 'Q0E=' }, registryLoginServer: registry, workloadIdentityClientId: clientId,
    });
    const release = docs(`deploy/${name}/apps/${app.name}/release.yaml`)[0] as { spec: { values: Record<string, unknown> } };
    // What Flux substitutes (the platform stack's postBuild map) and merges in (the image ConfigMap, written by CI).
    const substituted = JSON.parse(JSON.stringify(release.spec.values).replaceAll(`\${${REGISTRY_VARIABLE}}`, registry).replaceAll(`\${${clientIdVariable(app)}}`, clientId));
    const image = { tag: 'abc1234', digest: DIGEST_A };
    const applied = { ...substituted, image: { ...substituted.image, ...image } };
    const pushed = JSON.parse(JSON.stringify({ ...workload.release.values, image: { ...(workload.release.values.image as object), ...image } }));
    expect(applied).toEqual(pushed);
  });

  test.each(env.applications.map((a) => [a.name, a] as const))('%s: the same chart, namespace, history and timeout as the helm_release', (_, app) => {
    const workload = synthStack(new WorkloadStack(Testing.app(), 'workload', {
      env, state: config.state, app, cluster: { host: 'https://api.example', clusterCaCertificate: 'Q0E=' }, registryLoginServer: 'r.example', workloadIdentityClientId: '',
    }));
    const pushed = only(workload, 'helm_release');
    const { spec } = helmRelease(app) as { spec: Record<string, unknown> };
    expect(spec).toMatchObject({ releaseName: pushed.name, targetNamespace: pushed.namespace, storageNamespace: pushed.namespace, maxHistory: pushed.max_history, timeout: `${pushed.timeout}s` });
    expect(join(ROOT, String((spec.chart as { spec: { chart: string } }).spec.chart))).toBe(CHART_PATH);
    expect(spec.install).toMatchObject({ createNamespace: false });
    expect(spec.valuesFrom).toEqual([{ kind: 'ConfigMap', name: `${app.name}-image`, valuesKey: 'values.yaml' }]);
  });

  test('every ${VARIABLE} in the manifests is one the platform stack substitutes', () => {
    const platform = synthStack(new PlatformStack(Testing.app(), `platform-${name}`, { env, state: config.state, repository: config.repository }));
    const kustomizations = only(platform, 'azurerm_kubernetes_flux_configuration').kustomizations as { name: string; path: string; post_build?: { substitute: Record<string, string> } }[];
    for (const [path, content] of files) {
      if (!path.startsWith(`deploy/${name}/`)) continue;
      const k = kustomizations.find((c) => path.startsWith(`${c.path.slice(2)}/`));
      expect({ path, kustomization: k?.name }).toEqual({ path, kustomization: expect.any(String) });
      const used = [...content.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
      for (const variable of used) expect({ path, variable, substituted: variable in (k?.post_build?.substitute ?? {}) }).toEqual({ path, variable, substituted: true });
    }
  });

  test('the platform kustomization creates the namespaces and the reconcile-failure alert', () => {
    expect(docs(`deploy/${name}/platform/namespaces.yaml`).map((d) => (d.metadata as { name: string }).name)).toEqual(env.applications.map((a) => a.namespace));
    const [provider, alert] = docs(`deploy/${name}/platform/notifications.yaml`) as { kind: string; spec: Record<string, unknown> }[];
    expect(provider).toMatchObject({ kind: 'Provider', spec: { type: 'githubdispatch', address: `https://github.com/${config.repository}`, secretRef: { name: 'flux-github-dispatch' } } });
    expect(alert).toMatchObject({ kind: 'Alert', spec: { providerRef: { name: 'github' }, eventSeverity: 'error' } });
    expect((alert.spec.eventSources as { kind: string }[]).map((s) => s.kind)).toEqual(['Kustomization', 'HelmRelease', 'Bucket']);
  });

  test('each kustomization.yaml lists exactly the files of its directory', () => {
    for (const dir of [`deploy/${name}/platform`, `deploy/${name}/apps`]) {
      const listed = (parse(files.get(`${dir}/kustomization.yaml`)!) as { resources: string[] }).resources.map((r) => `${dir}/${r}`).sort();
      const present = [...files.keys(), ...env.applications.map((a) => imageFile(env, a))].filter((p) => p.startsWith(`${dir}/`) && !p.endsWith('/kustomization.yaml')).sort();
      expect(listed).toEqual(present);
    }
  });
});

describe('gitops:generate', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gitops-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('writes every file, creates image files only where missing, and is then a no-op', () => {
    const config = allGitOps();
    applyGitOps(root, planGitOps(root, config));
    const env = config.environments.prod;
    const app = env.applications[0];
    expect(readFileSync(join(root, imageFile(env, app)), 'utf8')).toContain('No image has been recorded yet');
    writeFileSync(join(root, imageFile(env, app)), 'recorded by the app workflow\n');
    const plan = planGitOps(root, config);
    expect({ write: [...plan.write.keys()], remove: plan.remove }).toEqual({ write: [], remove: [] });
  });

  test('an environment moved to push loses its deploy/ directory, image included', () => {
    const config = allGitOps();
    applyGitOps(root, planGitOps(root, config));
    const c = structuredClone(config) as ReturnType<typeof configCopy>;
    c.environments.dev.delivery = 'push';
    delete (c.environments.dev as { gitops?: unknown }).gitops;
    const plan = planGitOps(root, c as PlatformConfig);
    expect(plan.write.size).toBe(0);
    expect(plan.remove.every((p) => p.startsWith('deploy/dev/'))).toBe(true);
    expect(plan.remove).toContain(`deploy/dev/apps/${c.environments.dev.applications[0].name}/image.yaml`);
    applyGitOps(root, plan);
    expect(existsSync(join(root, 'deploy/dev'))).toBe(false);
    expect(existsSync(join(root, 'deploy/prod'))).toBe(true);
  });

  test('a hand edit of a generated file is stale', () => {
    const config = allGitOps();
    applyGitOps(root, planGitOps(root, config));
    const file = join(root, 'deploy/prod/apps/kustomization.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}  - extra.yaml\n`);
    expect([...planGitOps(root, config).write.keys()]).toEqual(['deploy/prod/apps/kustomization.yaml']);
  });
});

/**
 * Runs scripts/gitops.mjs once per command, in order, in one Node process: each run imports the script afresh with
 * process.argv set as the command line sets it, and records what it prints and the code it exits with. The
 * workflow script tests (test/workflows.test.ts) run it as a process of its own, as the workflows do.
 */
const GITOPS_DRIVER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const script = process.env.GITOPS_SCRIPT;
const exit = Symbol('exit');
const results = [];
for (const [i, args] of JSON.parse(readFileSync(0, 'utf8')).entries()) {
  let out = '', err = '', status = 0;
  const { log, error } = console;
  const quit = process.exit;
  console.log = (...a) => { out += a.join(' ') + '\\n'; };
  console.error = (...a) => { err += a.join(' ') + '\\n'; };
  process.exit = (code) => { status = code ?? 0; throw exit; };
  process.argv = [process.execPath, script, ...args];
  try {
    await import(pathToFileURL(script).href + '?run=' + i);
  } catch (e) {
    if (e !== exit) { status = 1; err += String(e && e.stack || e) + '\\n'; }
  } finally {
    Object.assign(console, { log, error });
    process.exit = quit;
  }
  results.push({ status, out: out.trim(), err: err.trim() });
}
process.stdout.write(JSON.stringify(results));
`;

describe('scripts/gitops.mjs', () => {
  let root: string;
  type Result = { status: number | null; out: string; err: string };
  const commands: Array<{ args: string[]; result?: Result }> = [];
  /** Queues a command, run with the others (in the order queued) in beforeAll; the test reads its result. `<root>` in an argument is the copy's root. */
  const gitops = (...args: string[]) => {
    const entry: (typeof commands)[number] = { args };
    commands.push(entry);
    return (): Result => entry.result!;
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gitops-'));
    applyGitOps(root, planGitOps(root, allGitOps()));
    cpSync(join(ROOT, 'charts'), join(root, 'charts'), { recursive: true });
    const script = join(ROOT, 'scripts/gitops.mjs');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', GITOPS_DRIVER], { input: JSON.stringify(commands.map((c) => c.args.map((a) => a.replace('<root>', root)))), encoding: 'utf8', env: { ...process.env, GITOPS_ROOT: root, GITOPS_SCRIPT: script } });
    if (run.status !== 0) throw new Error(`gitops.mjs driver failed: ${run.stderr}`);
    (JSON.parse(run.stdout) as Result[]).forEach((r, i) => (commands[i].result = r));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const app = configCopy().environments.prod.applications[0].name;
  const image = (env: string) => parse(parse(readFileSync(join(root, `deploy/${env}/apps/${app}/image.yaml`), 'utf8')).data['values.yaml']);

  const patterns = gitops('patterns');
  test('its tag and digest rules are the constructs\' rules', () => {
    const { tag, digest } = JSON.parse(patterns().out) as { tag: string; digest: string };
    const TAG = new RegExp(tag);
    const DIGEST = new RegExp(digest);
    for (const t of ['abc1234', 'v1.2.3', 'latest', 'LATEST', 'latest1', '', '-x', 'a'.repeat(128), 'a'.repeat(129), 'a b']) expect([t, TAG.test(t)]).toEqual([t, IMAGE_TAG.test(t)]);
    for (const d of [DIGEST_A, 'sha256:abc', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`]) expect([d, DIGEST.test(d)]).toEqual([d, IMAGE_DIGEST.test(d)]);
  });

  const refusals = [
    gitops('set-image', '--env', 'staging', '--app', app, '--tag', 'latest', '--digest', DIGEST_A),
    gitops('set-image', '--env', 'staging', '--app', app, '--tag', 'abc', '--digest', 'sha256:abc'),
    gitops('set-image', '--env', 'nowhere', '--app', app, '--tag', 'abc', '--digest', DIGEST_A),
    gitops('set-image', '--env', 'staging', '--tag', 'abc'),
  ];
  test('set-image refuses latest, a malformed digest, and an environment without GitOps files', () => {
    const [latest, digest, nowhere, noApp] = refusals.map((r) => r());
    expect(latest).toMatchObject({ status: 1, err: expect.stringContaining('never latest') });
    expect(digest).toMatchObject({ status: 1, err: expect.stringContaining('sha256: and 64 lowercase hex digits') });
    expect(nowhere).toMatchObject({ status: 1, err: expect.stringContaining('is nowhere a GitOps environment') });
    expect(noApp).toMatchObject({ status: 1, err: expect.stringContaining('--app is required') });
    // The same refusal from a process of its own: one message, exit 1.
    const real = spawnSync(process.execPath, [join(ROOT, 'scripts/gitops.mjs'), 'set-image', '--env', 'staging', '--app', app, '--tag', 'latest', '--digest', DIGEST_A], { encoding: 'utf8', env: { ...process.env, GITOPS_ROOT: root } });
    expect({ status: real.status, err: real.stderr.trim(), out: real.stdout }).toEqual({ status: 1, err: latest.err, out: '' });
  });

  const promoteNothing = gitops('promote', '--from', 'dev', '--to', 'prod', '--app', app);
  test('promotion refuses a source that runs no image yet', () => {
    expect(promoteNothing()).toMatchObject({ status: 1, err: expect.stringContaining('records no image yet') });
  });

  // Run in this order; staging's record is not written again after the first command.
  const setStaging = gitops('set-image', '--env', 'staging', '--app', app, '--tag', 'abc1234', '--digest', DIGEST_A);
  const setProd = gitops('set-image', '--env', 'prod', '--app', app, '--tag', 'old', '--digest', DIGEST_B);
  const promote = gitops('promote', '--from', 'staging', '--to', 'prod', '--app', app);
  test('set-image records tag and digest as the values the HelmRelease reads; promotion copies exactly them', () => {
    expect(setStaging().status).toBe(0);
    const configMap = parse(readFileSync(join(root, `deploy/staging/apps/${app}/image.yaml`), 'utf8'));
    expect(configMap).toMatchObject({ kind: 'ConfigMap', metadata: { name: `${app}-image`, namespace: 'flux-system' } });
    expect(image('staging')).toEqual({ image: { tag: 'abc1234', digest: DIGEST_A } });
    expect(setProd().status).toBe(0);
    expect(promote()).toEqual({ status: 0, out: `tag=abc1234\ndigest=${DIGEST_A}`, err: '' });
    expect(image('prod')).toEqual(image('staging'));
    // The generator leaves recorded images alone.
    const plan = planGitOps(root, allGitOps());
    expect({ write: [...plan.write.keys()], remove: plan.remove }).toEqual({ write: [], remove: [] });
  });

  const stage = gitops('stage', '--env', 'prod', '--out', '<root>/out');
  test('stage copies the environment\'s manifests and the charts, and nothing of other environments', () => {
    const out = join(root, 'out');
    expect(stage().status).toBe(0);
    expect(existsSync(join(out, 'deploy/prod/apps/kustomization.yaml'))).toBe(true);
    expect(existsSync(join(out, 'charts/ai-app/Chart.yaml'))).toBe(true);
    expect(existsSync(join(out, 'deploy/staging'))).toBe(false);
  });
});
