#!/usr/bin/env node
// `npm run verify`: the tools our users run judge the synthesized output and the repository.
//   1. installs missing validators (scripts/tools/install.sh, pinned in scripts/tools/versions.env, cached in .cache/tools);
//   2. synthesizes every stack into cdktf.out (`cdktf synth`);
//   3. runs each validator and prints one line per validator (name, version, result), then the details of its findings.
// Exits 1 when any validator has a finding that is not waived, or could not run; a validator that cannot be had
// here (a provider the Go module proxy does not serve) is SKIPPED with its reason and does not fail the run.
//
// Usage: npm run verify [-- --no-install] [--no-synth] [--only helm,kubernetes,crds,checkov,actionlint,terraform] [--json FILE]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const only = option('--only')?.split(',');

const cache = resolve(process.env.VERIFY_TOOLS_DIR ?? join(root, '.cache/tools'));
const bin = join(cache, 'bin');
const venvBin = join(cache, 'venv/bin');
const outdir = join(root, 'cdktf.out');
const work = mkdtempSync(join(tmpdir(), 'verify-'));
const env = {
  ...process.env,
  PATH: `${bin}:${venvBin}:${process.env.PATH}`,
  CHECKPOINT_DISABLE: '1',
  TF_CLI_CONFIG_FILE: join(cache, 'terraformrc'),
  TF_IN_AUTOMATION: '1',
  // checkov: no network (no Bridgecrew/Prisma platform, no version check).
  BC_SKIP_MAPPING: 'TRUE',
  CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false',
  ANSI_COLORS_DISABLED: 'true',
};

/** The image tag a deploy passes as var.image_tag: the full commit SHA the app workflow builds. Any 40 hex digits. */
const IMAGE_TAG = '3f786850e387550fdab836ed7e6dc881de23001b';

/** scripts/tools/versions.env as an object. */
function readVersions() {
  const text = readFileSync(join(root, 'scripts/tools/versions.env'), 'utf8');
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return out;
}
const versions = readVersions();
const providers = Object.entries(versions)
  .filter(([k]) => k.startsWith('PROVIDER_'))
  .map(([, v]) => {
    const [name, source, module, version] = v.split('|');
    return { name, source, module, version };
  });

/** .cache/tools/status/<tool>: `ok <version>`, `unavailable <reason>` or `failed <reason>`. */
function toolStatus(tool) {
  const file = join(cache, 'status', tool);
  if (!existsSync(file)) return { state: 'missing', detail: 'not installed (run scripts/tools/install.sh)' };
  const text = readFileSync(file, 'utf8').trim();
  const space = text.indexOf(' ');
  return { state: text.slice(0, space), detail: text.slice(space + 1) };
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) return { status: 127, stdout: '', stderr: String(r.error.message) };
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function runAsync(cmd, argv, opts = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, argv, { cwd: root, env, ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolvePromise({ status: 127, stdout, stderr: String(e.message) }));
    child.on('close', (status) => resolvePromise({ status: status ?? 1, stdout, stderr }));
  });
}
/** Runs `jobs` (functions returning promises) at most `limit` at a time, keeping their order in the result. */
async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
const firstLine = (s) => s.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

// --- synthesized stacks -------------------------------------------------------------------------------------------
function stacks() {
  const dir = join(outdir, 'stacks');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'cdk.tf.json')))
    .sort()
    .map((name) => ({ name, dir: join(dir, name), file: join(dir, name, 'cdk.tf.json'), json: JSON.parse(readFileSync(join(dir, name, 'cdk.tf.json'), 'utf8')) }));
}

/**
 * Every waiver, by target (stack name, or `chart-<env>` for a rendered chart), from the one source the synth-time
 * policy also reads: stacks/waivers.ts (the kit's waivers and each environment's `waivers` in the config).
 */
function loadWaivers() {
  const script = `Promise.all([import('./stacks/waivers.ts'), import('./stacks/environments.ts')]).then(([w, e]) => {
    // The TypeScript modules are CommonJS: Node's import puts their exports on default as well.
    const byTarget = (w.waiversByTarget ?? w.default.waiversByTarget)(e.config ?? e.default.config);
    process.stdout.write(JSON.stringify([...byTarget]));
  })`;
  const r = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  if (r.status !== 0) throw new Error(`cannot read waivers from stacks/waivers.ts: ${r.stderr}`);
  return new Map(JSON.parse(r.stdout));
}

// --- Terraform expressions in helm_release values -------------------------------------------------------------------
/** A stable, realistic UUID for a placeholder (client IDs are unknown until apply). */
function uuidFor(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
/**
 * The value a deploy would see for one `${...}` expression: var.image_tag is the commit SHA, var.image_digest the
 * pushed image's digest (a fixed sha256: and 64 hex digits); a cross-stack output is looked up in the producing
 * stack and, when it is a computed attribute, replaced by a realistic value.
 */
function resolveExpression(expr, stack, allStacks, notes) {
  if (expr === 'var.image_tag') return IMAGE_TAG;
  if (expr === 'var.image_digest') return `sha256:${createHash('sha256').update(IMAGE_TAG).digest('hex')}`;
  const m = /^data\.terraform_remote_state\.([^.]+)\.outputs\.(.+)$/.exec(expr);
  if (m) {
    const producer = allStacks.find((s) => m[1].endsWith(`-${s.name}`));
    const value = producer?.json.output?.[m[2]]?.value;
    if (typeof value === 'string') {
      const ref = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value);
      if (!ref) {
        if (value.includes('${')) notes.push(`${stack.name}: ${expr} is ${value}, kept as text`);
        return value;
      }
      const [, type, id, attr] = ref;
      const resource = producer.json.resource?.[type]?.[id];
      if (type === 'azurerm_container_registry' && attr === 'login_server' && typeof resource?.name === 'string') return `${resource.name}.azurecr.io`;
      if (/(^|_)(client_id|principal_id|object_id|tenant_id)$/.test(attr)) return uuidFor(value);
      notes.push(`${stack.name}: ${expr} has no realistic stand-in; used "placeholder-${attr}"`);
      return `placeholder-${attr}`;
    }
  }
  notes.push(`${stack.name}: unresolved expression \${${expr}} kept as text`);
  return `\${${expr}}`;
}
const substitute = (text, stack, allStacks, notes) => text.replace(/\$\{([^}]+)\}/g, (_, expr) => resolveExpression(expr.trim(), stack, allStacks, notes));

/** Every helm_release of the workload stacks, with its chart, values files and --set arguments as a deploy applies them. */
function releases(allStacks, notes) {
  const out = [];
  for (const stack of allStacks) {
    for (const [id, r] of Object.entries(stack.json.resource?.helm_release ?? {})) {
      // A chart from a chart repository (Kyverno's) cannot be fetched here; its version is pinned and tested in the
      // construct, and what it installs (the CRDs) is checked against the same release by the crds step.
      if (r.repository) {
        notes.push(`${stack.name} helm_release.${id}: chart ${r.chart} ${r.version ?? '(no version)'} from ${r.repository} is not rendered (no chart repository offline)`);
        continue;
      }
      const dir = join(work, 'helm', stack.name, id);
      mkdirSync(dir, { recursive: true });
      const valueFiles = (r.values ?? []).map((v, i) => {
        const file = join(dir, `values-${i}.yaml`);
        writeFileSync(file, substitute(v, stack, allStacks, notes));
        return file;
      });
      const setArgs = [];
      for (const s of [].concat(r.set ?? [], r.set_sensitive ?? [])) {
        const flagName = s.type === 'string' ? '--set-string' : s.type === 'literal' ? '--set-literal' : '--set';
        setArgs.push(flagName, `${s.name}=${substitute(String(s.value), stack, allStacks, notes)}`);
      }
      for (const s of [].concat(r.set_list ?? [])) setArgs.push('--set', `${s.name}={${(s.value ?? []).map((v) => substitute(String(v), stack, allStacks, notes)).join(',')}}`);
      out.push({ stack: stack.name, id, where: `${stack.name} helm_release.${id}`, chart: resolve(stack.dir, r.chart), name: r.name, namespace: r.namespace ?? 'default', valueFiles, setArgs, dir });
    }
  }
  return out;
}

// --- validators ---------------------------------------------------------------------------------------------------
// Each returns { name, version, result: 'PASS' | 'FAIL' | 'SKIPPED' | 'ERROR', reason?, findings: [{ where, rule, message, waived? }], notes: [] }.

/** `go install` sets no version ldflags, so `helm version` says only "v3.18": name the pinned module version. */
function helmVersion() {
  const r = run('helm', ['version', '--short']);
  return r.status === 0 ? `${toolStatus('helm').detail} (${versions.HELM_MODULE})` : '?';
}

/** Groups of the built-in Kubernetes API (core is ""), whose kinds kubernetes-validate knows; any other group is a custom resource. */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'autoscaling', 'policy']);
const isCustomResource = (apiVersion) => {
  const group = String(apiVersion ?? '').includes('/') ? String(apiVersion).split('/')[0] : '';
  return !BUILT_IN_GROUPS.has(group) && !group.endsWith('.k8s.io');
};

/** The name in a chart's Chart.yaml, or undefined. */
function chartName(dir) {
  const m = existsSync(join(dir, 'Chart.yaml')) ? /^name:\s*(\S+)/m.exec(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) : null;
  return m?.[1];
}

/** Kinds that live outside any namespace; Helm applies every other object into the release namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterPolicy', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService']);
/**
 * `helm template` output as the cluster receives it: Helm (and the helm provider) create each namespaced object
 * without metadata.namespace in the release namespace, so add it; otherwise Checkov reads "default".
 */
function asApplied(text, namespace) {
  return parseAllDocuments(text)
    .filter((doc) => doc.contents !== null)
    .map((doc) => {
      const kind = doc.get('kind');
      if (!CLUSTER_SCOPED.has(kind) && !doc.hasIn(['metadata', 'namespace'])) doc.setIn(['metadata', 'namespace'], namespace);
      return String(doc);
    })
    .join('---\n');
}

/** `helm template` of each release, as applied (see asApplied), into rel.manifests; the other validators read them. */
function renderReleases(ctx) {
  for (const rel of ctx.releases) {
    const kube = ctx.kubeVersion ? ['--kube-version', ctx.kubeVersion] : [];
    const tpl = run('helm', ['template', rel.name, rel.chart, '--namespace', rel.namespace, ...kube, ...rel.valueFiles.flatMap((f) => ['-f', f]), ...rel.setArgs]);
    if (tpl.status !== 0) {
      rel.renderError = firstLine(tpl.stderr);
    } else {
      rel.manifests = join(rel.dir, 'manifests.yaml');
      writeFileSync(rel.manifests, asApplied(tpl.stdout, rel.namespace));
    }
  }
}

/** helm lint --strict and helm template for each release; negative checks that Helm refuses what the schema forbids. */
function validateHelm(ctx) {
  const v = { name: 'helm', version: helmVersion(), findings: [], notes: [...ctx.notes] };
  if (ctx.releases.length === 0) return { ...v, result: 'ERROR', reason: 'no helm_release in cdktf.out/stacks/workload-*' };
  for (const rel of ctx.releases) {
    const valueArgs = [...rel.valueFiles.flatMap((f) => ['-f', f]), ...rel.setArgs];
    const lint = run('helm', ['lint', '--strict', rel.chart, '--namespace', rel.namespace, ...valueArgs]);
    if (lint.status !== 0 || /\[(WARNING|ERROR)\]/.test(lint.stdout)) {
      for (const line of `${lint.stdout}\n${lint.stderr}`.split('\n').filter((l) => /\[(WARNING|ERROR)\]|^Error/.test(l))) {
        v.findings.push({ where: `${rel.where} (charts/ai-app)`, rule: 'helm lint --strict', message: line.trim() });
      }
      if (!v.findings.some((f) => f.where.startsWith(rel.where))) v.findings.push({ where: rel.where, rule: 'helm lint --strict', message: firstLine(lint.stderr || lint.stdout) });
    }
    if (rel.renderError) v.findings.push({ where: rel.where, rule: 'helm template', message: rel.renderError });
  }
  // Negative checks: on the first environment's exact app values, one bad value at a time; Helm must refuse each.
  const base = ctx.releases.find((r) => chartName(r.chart) === 'ai-app');
  if (!base) return { ...v, result: 'ERROR', reason: 'no helm_release of charts/ai-app to run the negative checks on' };
  const negatives = [
    { what: 'image.tag "latest"', values: { image: { tag: 'latest' } } },
    { what: 'empty image.repository', values: { image: { repository: '' } } },
    { what: 'autoscaling.maxReplicas < minReplicas', values: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 2 } } },
  ];
  for (const n of negatives) {
    const file = join(base.dir, `negative-${createHash('sha1').update(n.what).digest('hex').slice(0, 8)}.yaml`);
    writeFileSync(file, stringify(n.values));
    const argv = [base.name, base.chart, '--namespace', base.namespace, ...base.valueFiles.flatMap((f) => ['-f', f]), ...base.setArgs, '-f', file];
    const tpl = run('helm', ['template', ...argv]);
    if (tpl.status === 0) {
      v.findings.push({ where: `${base.where} + ${n.what}`, rule: 'negative check', message: 'helm template accepted values that values.schema.json exists to refuse' });
    } else {
      const layer = /schema/i.test(tpl.stderr) ? 'values.schema.json' : 'a template fail';
      const why = tpl.stderr.split('\n').find((l) => /^\s*- /.test(l))?.trim() ?? firstLine(tpl.stderr);
      v.notes.push(`refused as expected by ${layer}: ${n.what}: ${why.slice(0, 200)}`);
    }
  }
  v.notes.push(`${ctx.releases.length} release(s) linted and rendered, ${negatives.length} negative checks`);
  return { ...v, result: v.findings.length ? 'FAIL' : 'PASS' };
}

/** kubernetes-validate --strict on every rendered manifest, at the cluster's Kubernetes minor version. */
function validateKubernetes(ctx) {
  const version = toolStatus('kubernetes-validate').detail;
  const v = { name: 'kubernetes-validate', version, findings: [], notes: [] };
  const rendered = ctx.releases.filter((r) => r.manifests);
  if (rendered.length === 0) return { ...v, result: 'ERROR', reason: 'no rendered manifests (see helm)' };
  v.version = `${version}, schemas ${ctx.k8sSchema}`;
  if (ctx.k8sNote) v.notes.push(ctx.k8sNote);
  for (const rel of rendered) {
    const all = parseAllDocuments(readFileSync(rel.manifests, 'utf8')).map((d) => d.toJS()).filter((d) => d && typeof d === 'object');
    // Custom resources have no schema here: the crds step validates them against their CRDs.
    const docs = all.filter((d) => !isCustomResource(d.apiVersion));
    if (docs.length < all.length) v.notes.push(`${rel.where}: ${all.length - docs.length} custom resource(s) left to the crds step`);
    if (docs.length === 0) continue;
    const dir = join(rel.dir, 'objects');
    mkdirSync(dir, { recursive: true });
    const files = docs.map((d, i) => {
      const file = join(dir, `${String(i).padStart(2, '0')}-${d.kind}-${d.metadata?.name}.yaml`);
      writeFileSync(file, stringify(d));
      return { file, label: `${d.kind}/${d.metadata?.name}` };
    });
    const r = run(join(venvBin, 'kubernetes-validate'), ['--strict', '--kubernetes-version', ctx.k8sSchema, ...files.map((f) => f.file)]);
    const out = `${r.stdout}\n${r.stderr}`;
    for (const f of files) {
      // `ERROR <file> did not validate for resource <kind>/<name> against version 1.xx: <why>`; INFO lines are passes.
      const lines = out.split('\n').filter((l) => l.includes(f.file) && !/^INFO /.test(l));
      for (const line of lines) {
        const [level, ...rest] = line.replace(f.file, '').trim().split(/\s+/);
        v.findings.push({ where: `${rel.where} ${f.label}`, rule: `kubernetes schema (strict) ${level}`, message: rest.join(' ') });
      }
    }
    if (r.status !== 0 && !v.findings.some((f) => f.where.startsWith(rel.where))) v.findings.push({ where: rel.where, rule: 'kubernetes-validate', message: out.trim().split('\n').slice(-3).join(' | ') });
    v.notes.push(`${rel.where}: ${files.length} object(s)`);
  }
  return { ...v, result: v.findings.length ? 'FAIL' : 'PASS' };
}

/** Every *.yaml under `dir` (relative to the repository), sorted; none when `dir` does not exist. */
function yamlFiles(dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/**
 * The GitOps manifests the generator (stacks/gitops-manifests.ts) writes for the tests' configuration, whose prod is a
 * GitOps environment: the Flux objects are validated even while the shipped config has no GitOps environment.
 */
function gitopsFixtureManifests(dir) {
  const script = `Promise.all([import('./stacks/gitops-manifests.ts'), import('./test/fixtures/config.ts')]).then(([g, f]) => {
    const files = (g.gitopsManifests ?? g.default.gitopsManifests)(f.fixtureConfig ?? f.default.fixtureConfig);
    process.stdout.write(JSON.stringify([...files]));
  })`;
  const r = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  if (r.status !== 0) throw new Error(`cannot generate the GitOps manifests of test/fixtures/config.ts: ${firstLine(r.stderr)}`);
  return JSON.parse(r.stdout).map(([path, text]) => {
    const file = join(dir, 'gitops-fixture', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return { file, label: `${path} (generated for test/fixtures/config.ts)` };
  });
}

/**
 * charts/image-policy rendered as a deploy would render it, once per mode: the policy the crds step validates even
 * before a stack or the GitOps manifests carry it. The signer is a fixture: the schema, not this step, judges config.
 */
const IMAGE_POLICY_FIXTURES = [
  { mode: 'enforce', namespaces: ['ai-app-prod'], signer: { repository: 'contoso/ai-platform', workflow: '.github/workflows/app.yml', branch: 'main' }, signatureFormat: 'sigstore-bundle' },
  { mode: 'audit', namespaces: ['ai-app-dev', 'ai-app-tools'], signer: { repository: 'contoso/ai-platform', workflow: '.github/workflows/app.yml', branch: 'main' }, signatureFormat: 'cosign' },
];

/**
 * Custom resources against the real CRD schemas (scripts/tools/crds.py, CRDs pinned in versions.env: Flux as the AKS
 * extension installs it, Kyverno as KYVERNO_CHART installs it): the GitOps manifests under deploy/ and those generated
 * for the tests' configuration, charts/image-policy rendered per mode (after helm lint --strict), and any custom
 * resource in the rendered releases. Documents of built-in kinds among them go to kubernetes-validate --strict.
 */
function validateCustomResources(ctx) {
  const v = { name: 'crds', version: `Flux ${versions.FLUX_VERSION} (${versions.CRDS_FLUX.split('|').slice(1, 3).join('@')}), Kyverno ${versions.CRDS_KYVERNO.split('|')[2]}`, findings: [], notes: [] };
  const chart = join(root, 'charts/image-policy');
  const dir = join(work, 'crds');
  mkdirSync(dir, { recursive: true });
  const inputs = [...yamlFiles('deploy').map((f) => ({ file: join(root, f), label: f })), ...gitopsFixtureManifests(dir)];
  IMAGE_POLICY_FIXTURES.forEach((values, i) => {
    const file = join(dir, `image-policy-values-${i}.yaml`);
    writeFileSync(file, stringify(values));
    const label = `charts/image-policy (${values.mode}, ${values.signatureFormat})`;
    const lint = run('helm', ['lint', '--strict', chart, '-f', file]);
    if (lint.status !== 0 || /\[(WARNING|ERROR)\]/.test(lint.stdout)) v.findings.push({ where: label, rule: 'helm lint --strict', message: firstLine(lint.stdout.split('\n').filter((l) => /\[(WARNING|ERROR)\]|Error/.test(l)).join('\n') || lint.stderr) });
    const tpl = run('helm', ['template', 'verify-image-signatures', chart, '-f', file]);
    if (tpl.status !== 0) {
      v.findings.push({ where: label, rule: 'helm template', message: firstLine(tpl.stderr) });
      return;
    }
    const out = join(dir, `image-policy-${values.mode}.yaml`);
    writeFileSync(out, tpl.stdout);
    inputs.push({ file: out, label });
  });
  // Of a rendered release only the custom resources: the kubernetes step judges its built-in objects.
  for (const rel of ctx.releases.filter((r) => r.manifests)) inputs.push({ file: rel.manifests, label: `${rel.where} rendered`, customOnly: true });
  const r = run(join(venvBin, 'python'), [join(root, 'scripts/tools/crds.py'), 'validate', '--crds', join(cache, 'crds'), ...inputs.map((i) => i.file)]);
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    return { ...v, result: 'ERROR', reason: `scripts/tools/crds.py did not run: ${firstLine(r.stderr) || firstLine(r.stdout)}` };
  }
  const labelOf = (file) => inputs.find((i) => i.file === file)?.label ?? file;
  const object = (d) => `document ${d.document ?? '-'} ${d.kind ?? '?'}/${d.name ?? '?'}`;
  for (const f of report.findings) v.findings.push({ where: `${labelOf(f.file)} ${object(f)}`, rule: `CRD schema ${f.apiVersion ?? ''}`.trim(), message: `${f.path}: ${f.message}` });
  // Built-in kinds beside the custom resources (a Namespace, the image ConfigMap): kubernetes-validate --strict.
  const files = report.uncovered.filter((d) => !inputs.find((i) => i.file === d.file)?.customOnly).map((d, i) => {
    const doc = parseAllDocuments(readFileSync(d.file, 'utf8'))[d.document].toJS();
    const file = join(dir, 'objects', `${String(i).padStart(3, '0')}-${d.kind}-${d.name}.yaml`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, stringify(doc));
    return { file, d };
  });
  if (files.length > 0) {
    const k = run(join(venvBin, 'kubernetes-validate'), ['--strict', '--kubernetes-version', ctx.k8sSchema, ...files.map((f) => f.file)]);
    const text = `${k.stdout}\n${k.stderr}`;
    for (const { file, d } of files) {
      for (const line of text.split('\n').filter((l) => l.includes(file) && !/^INFO /.test(l))) {
        v.findings.push({ where: `${labelOf(d.file)} ${object(d)}`, rule: `kubernetes schema ${ctx.k8sSchema} (strict)`, message: line.replace(file, '').trim() });
      }
    }
    if (k.status !== 0 && !files.some(({ d }) => v.findings.some((f) => f.where === `${labelOf(d.file)} ${object(d)}`))) v.findings.push({ where: 'kubernetes-validate', rule: 'kubernetes-validate', message: text.trim().split('\n').slice(-3).join(' | ') });
  }
  v.notes.push(`${inputs.length} input(s): ${inputs.map((i) => i.label).join(', ')}`);
  v.notes.push(`${report.validated.length} custom resource(s) against ${report.crds.length} CRDs (${report.crds.join(', ')}); ${files.length} built-in object(s) through kubernetes-validate ${ctx.k8sSchema}; ${report.skipped.length} kustomize build file(s) skipped`);
  if (report.substitutions) v.notes.push(`${report.substitutions} value(s) held a Flux \${VAR} substitution and were not type-checked`);
  v.notes.push(`${report.celRulesNotEvaluated} x-kubernetes-validations (CEL) rule(s) in the schemas used are not evaluated here; the API server runs them`);
  if (r.status !== 0 && r.status !== 1) v.findings.push({ where: 'scripts/tools/crds.py', rule: 'crds.py', message: firstLine(r.stderr) });
  return { ...v, result: v.findings.length ? 'FAIL' : 'PASS' };
}

/** Checkov on every stack's cdk.tf.json (terraform_json) and every rendered chart (kubernetes), judged against the waivers. */
async function validateCheckov(ctx) {
  const checkov = join(venvBin, 'checkov');
  const version = toolStatus('checkov').detail;
  const v = { name: 'checkov', version, findings: [], notes: [] };
  // Each target's key is what its waivers are listed under: the stack's name, or chart-<env>-<app> for a rendered chart.
  const target = (key, where, file, framework) => ({ key, where, file, framework, waivers: ctx.waivers.get(key) ?? [] });
  const targets = [
    ...ctx.stacks.map((s) => target(s.name, `${s.name} (cdk.tf.json)`, s.file, 'terraform_json')),
    ...ctx.releases.filter((r) => r.manifests).map((r) => target(r.stack.replace(/^workload-/, 'chart-'), `${r.where} rendered chart`, r.manifests, 'kubernetes')),
  ];
  // Each waiver (rule and reason) with the keys of the targets it covers.
  const waivers = new Map();
  for (const t of targets) {
    for (const w of t.waivers) {
      const id = `[${w.rule}] ${w.reason}`;
      waivers.set(id, { rule: w.rule, keys: new Set([...(waivers.get(id)?.keys ?? []), t.key]) });
    }
  }
  for (const [id, { keys }] of waivers) v.notes.push(`waiver in ${[...keys].join(', ')}: ${id}`);
  // Checkov runs every check; a failed check that a waiver of that target covers is reported as waived, not as a
  // finding. (With --skip-check Checkov would not say whether a waiver is still needed.)
  const jobs = targets.map((t) => async () => {
    const argv = ['-f', t.file, '--framework', t.framework, '-o', 'json', '--compact', '--quiet', '--skip-download'];
    return { t, r: await runAsync(checkov, argv) };
  });
  // Waivers Checkov used, as `<target key>|<check>`: a waiver used nowhere is stale.
  const used = new Set();
  const results = await pool(jobs, 2);
  for (const { t, r } of results) {
    let parsed;
    try {
      parsed = JSON.parse(r.stdout);
    } catch {
      if (r.status === 0 && /^\s*(\{\s*"passed": 0[^}]*\}|\[\])?\s*$/.test(r.stdout)) continue;
      v.findings.push({ where: t.where, rule: 'checkov', message: `did not run: ${firstLine(r.stderr) || firstLine(r.stdout)}` });
      continue;
    }
    const reports = Array.isArray(parsed) ? parsed : [parsed];
    for (const report of reports) {
      for (const c of report.results?.failed_checks ?? []) {
        // Checkov names the pod of a workload after its labels: keep kind.namespace.name.
        const resource = c.resource.replace(/^(Pod\.[^.]+\.[^.]+)\..*$/, '$1 (pod template)');
        if (t.waivers.some((w) => w.rule === c.check_id)) {
          used.add(`${t.key}|${c.check_id}`);
          v.waivedCount = (v.waivedCount ?? 0) + 1;
        } else {
          v.findings.push({ where: `${t.where} ${resource}`, rule: c.check_id, message: c.check_name });
        }
      }
    }
  }
  // A waiver no target needed would silently exempt the next regression. Waivers of the synth-time policy's own
  // rules are judged by the synth too; here, each waiver must be used by Checkov on at least one of its targets.
  for (const { rule, keys } of waivers.values()) {
    if (![...keys].some((key) => used.has(`${key}|${rule}`))) {
      v.findings.push({ where: `waiver ${rule} (${[...keys].join(', ')})`, rule: 'stale waiver', message: 'Checkov reports nothing this waiver covers; remove it from stacks/waivers.ts or the environment\'s waivers' });
    }
  }
  v.notes.push(`${targets.length} target(s): ${ctx.stacks.length} stacks, ${targets.length - ctx.stacks.length} rendered charts`);
  v.notes.push(`${v.waivedCount ?? 0} failed check(s) covered by a waiver`);
  return { ...v, result: v.findings.length ? 'FAIL' : 'PASS' };
}

/** actionlint (with shellcheck on run: blocks) on the workflows, and shellcheck on every tracked shell script. */
function validateActions() {
  const al = run('actionlint', ['-version']);
  const sc = run('shellcheck', ['--version']);
  const scVersion = /version: (\S+)/.exec(sc.stdout)?.[1] ?? '?';
  const v = { name: 'actionlint+shellcheck', version: `actionlint ${firstLine(al.stdout)}, shellcheck ${scVersion}`, findings: [], notes: [] };
  if (al.status !== 0) return { ...v, result: 'ERROR', reason: 'actionlint is not installed' };
  if (sc.status !== 0) return { ...v, result: 'ERROR', reason: 'shellcheck is not installed: actionlint would silently skip run: blocks' };
  const workflows = readdirSync(join(root, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f)).map((f) => `.github/workflows/${f}`);
  const r = run('actionlint', ['-format', '{{json .}}', '-shellcheck', join(bin, 'shellcheck'), ...workflows]);
  let errors = [];
  try {
    errors = JSON.parse(r.stdout || '[]');
  } catch {
    v.findings.push({ where: '.github/workflows', rule: 'actionlint', message: `did not run: ${firstLine(r.stderr || r.stdout)}` });
  }
  for (const e of errors) v.findings.push({ where: `${e.filepath}:${e.line}:${e.column}`, rule: `actionlint ${e.kind}`, message: e.message });
  const scripts = run('git', ['ls-files', '*.sh']).stdout.split('\n').filter(Boolean);
  const s = run('shellcheck', ['-f', 'json1', '-x', ...scripts]);
  try {
    for (const c of JSON.parse(s.stdout || '{"comments":[]}').comments) v.findings.push({ where: `${c.file}:${c.line}:${c.column}`, rule: `shellcheck SC${c.code} (${c.level})`, message: c.message });
  } catch {
    v.findings.push({ where: scripts.join(' '), rule: 'shellcheck', message: `did not run: ${firstLine(s.stderr || s.stdout)}` });
  }
  v.notes.push(`${workflows.length} workflow(s), ${scripts.length} script(s): ${scripts.join(', ')}`);
  return { ...v, result: v.findings.length ? 'FAIL' : 'PASS' };
}

/** terraform init -backend=false and terraform validate on each stack, with the providers built from the Go module proxy. */
async function validateTerraform(ctx) {
  const tf = run('terraform', ['version', '-json']);
  let tfVersion = '?';
  try {
    tfVersion = JSON.parse(tf.stdout).terraform_version;
  } catch {}
  const v = { name: 'terraform validate', version: `terraform ${tfVersion}; ${providers.map((p) => `${p.name} ${p.version}`).join(', ')}`, findings: [], notes: [] };
  if (tf.status !== 0) return { ...v, result: 'ERROR', reason: 'terraform is not installed' };
  const missing = providers.map((p) => ({ p, s: toolStatus(`provider-${p.name}`) })).filter(({ s }) => s.state !== 'ok');
  for (const { p, s } of missing) v.notes.push(`provider ${p.source} ${p.version}: ${s.detail}`);
  const usable = (stack) => Object.values(stack.json.terraform?.required_providers ?? {}).every((req) => !missing.some(({ p }) => p.source.endsWith(`/${req.source}`) || p.source === req.source));
  const runnable = ctx.stacks.filter(usable);
  if (runnable.length === 0) {
    const refused = missing.filter(({ s }) => s.state === 'unavailable');
    if (refused.length === missing.length) {
      return { ...v, result: 'SKIPPED', reason: missing.map(({ p }) => `module ${p.module}@${p.version} not served by the Go module proxy`).join('; ') };
    }
    return { ...v, result: 'ERROR', reason: missing.map(({ p, s }) => `${p.name}: ${s.detail}`).join('; ') };
  }
  const jobs = runnable.map((stack) => async () => {
    const data = join(work, 'tf', stack.name);
    mkdirSync(data, { recursive: true });
    const e = { env: { ...env, TF_DATA_DIR: data } };
    const init = await runAsync('terraform', ['-chdir=' + stack.dir, 'init', '-backend=false', '-input=false', '-no-color'], e);
    const val = await runAsync('terraform', ['-chdir=' + stack.dir, 'validate', '-json', '-no-color'], e);
    return { stack, init, val };
  });
  for (const { stack, init, val } of await pool(jobs, 2)) {
    let report;
    try {
      report = JSON.parse(val.stdout);
    } catch {
      v.findings.push({ where: stack.name, rule: 'terraform init/validate', message: firstLine(val.stderr) || firstLine(init.stderr) });
      continue;
    }
    for (const d of report.diagnostics ?? []) {
      if (d.severity !== 'error' && d.severity !== 'warning') continue;
      const at = d.range ? `${relative(root, join(stack.dir, d.range.filename))}:${d.range.start.line}` : stack.name;
      v.findings.push({ where: `${stack.name} ${d.address ?? ''} ${at}`.replace(/\s+/g, ' '), rule: `terraform ${d.severity}`, message: `${d.summary}${d.detail ? `: ${d.detail.split('\n')[0]}` : ''}` });
    }
  }
  const skipped = ctx.stacks.length - runnable.length;
  const result = v.findings.length ? 'FAIL' : 'PASS';
  return { ...v, result, reason: skipped ? `${skipped} stack(s) SKIPPED: a provider is not available` : undefined };
}

// --- main ---------------------------------------------------------------------------------------------------------
/** The cluster's Kubernetes minor version from the platform stacks, else the newest schema kubernetes-validate ships. */
function kubernetesVersion(allStacks) {
  const found = new Set();
  for (const s of allStacks) for (const c of Object.values(s.json.resource?.azurerm_kubernetes_cluster ?? {})) if (typeof c.kubernetes_version === 'string') found.add(c.kubernetes_version.split('.').slice(0, 2).join('.'));
  const list = run(join(venvBin, 'python'), ['-c', 'import kubernetes_validate.utils as u; print("\\n".join(u.all_versions()))']);
  const shipped = list.stdout.split('\n').filter(Boolean).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = shipped.at(-1);
  if (found.size === 1) {
    const minor = [...found][0];
    const match = shipped.filter((x) => x.startsWith(`${minor}.`)).at(-1) ?? minor;
    return { schema: match, kubeVersion: `${minor}.0`, note: `Kubernetes ${minor}, from azurerm_kubernetes_cluster.kubernetes_version` };
  }
  const why = found.size === 0 ? 'no azurerm_kubernetes_cluster sets kubernetes_version (AKS picks its default)' : `clusters differ (${[...found].join(', ')})`;
  return { schema: newest ?? '?', kubeVersion: undefined, note: `${why}: validated against the newest schemas kubernetes-validate ships, ${newest}` };
}

async function main() {
  const t0 = Date.now();
  if (!flag('--no-install')) {
    const started = Date.now();
    console.log('verify: installing missing validators (scripts/tools/install.sh) ...');
    const r = spawnSync('bash', [join(root, 'scripts/tools/install.sh')], { cwd: root, stdio: 'inherit', env });
    console.log(`verify: tools ready in ${seconds(Date.now() - started)}${r.status ? ' (with failures: see above)' : ''}`);
  }
  if (!flag('--no-synth')) {
    const started = Date.now();
    const r = run(join(root, 'node_modules/.bin/cdktf'), ['synth'], { env: { ...env, CI: 'true' } });
    if (r.status !== 0) {
      console.error(`verify: cdktf synth failed:\n${r.stdout}\n${r.stderr}`);
      process.exit(1);
    }
    console.log(`verify: synthesized cdktf.out in ${seconds(Date.now() - started)}`);
  }
  const allStacks = stacks();
  const notes = [];
  const k8s = kubernetesVersion(allStacks);
  const ctx = { stacks: allStacks, releases: releases(allStacks, notes), notes, waivers: loadWaivers(), kubeVersion: k8s.kubeVersion, k8sSchema: k8s.schema, k8sNote: k8s.note };

  const validators = [
    { key: 'helm', tools: ['helm'], fn: validateHelm },
    { key: 'kubernetes', tools: ['kubernetes-validate'], fn: validateKubernetes },
    { key: 'crds', tools: ['crds-flux', 'crds-kyverno', 'kubernetes-validate', 'helm'], fn: validateCustomResources },
    { key: 'checkov', tools: ['checkov'], fn: validateCheckov },
    { key: 'actionlint', tools: ['actionlint', 'shellcheck'], fn: validateActions },
    { key: 'terraform', tools: ['terraform'], fn: validateTerraform },
  ].filter((x) => !only || only.includes(x.key));

  if (toolStatus('helm').state === 'ok') renderReleases(ctx);
  const results = [];
  for (const val of validators) {
    const started = Date.now();
    const broken = val.tools.map((t) => ({ t, s: toolStatus(t) })).filter(({ s }) => s.state !== 'ok');
    let res;
    if (broken.length) {
      const unavailable = broken.every(({ s }) => s.state === 'unavailable');
      res = { name: val.key, version: '-', result: unavailable ? 'SKIPPED' : 'ERROR', reason: broken.map(({ t, s }) => `${t}: ${s.detail}`).join('; '), findings: [], notes: [] };
    } else {
      try {
        res = await val.fn(ctx);
      } catch (error) {
        res = { name: val.key, version: '?', result: 'ERROR', reason: String(error?.stack ?? error), findings: [], notes: [] };
      }
    }
    res.ms = Date.now() - started;
    results.push(res);
  }

  console.log('\nverify: results');
  for (const r of results) {
    const result = r.result === 'FAIL' ? `FAIL ${r.findings.length} finding(s)` : r.result;
    console.log(`  ${r.name.padEnd(22)} ${result.padEnd(18)} ${seconds(r.ms).padStart(7)}  ${r.version}${r.reason ? `  (${r.reason})` : ''}`);
  }
  for (const r of results) {
    if (r.findings.length === 0 && r.notes.length === 0) continue;
    console.log(`\n${r.name}:`);
    for (const f of r.findings) console.log(`  FINDING ${f.where} [${f.rule}] ${f.message}`);
    for (const n of r.notes) console.log(`  note: ${n}`);
  }
  const failed = results.filter((r) => r.result === 'FAIL' || r.result === 'ERROR');
  console.log(`\nverify: ${failed.length ? `FAILED (${failed.map((r) => r.name).join(', ')})` : 'PASSED'} in ${seconds(Date.now() - t0)}`);
  const jsonOut = option('--json');
  if (jsonOut) writeFileSync(resolve(jsonOut), JSON.stringify(results, null, 2));
  rmSync(work, { recursive: true, force: true });
  process.exit(failed.length ? 1 : 0);
}

await main();
