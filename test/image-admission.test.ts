/**
 * ImageAdmission (constructs/image-admission.ts) and its chart (charts/image-policy):
 * - the construct synthesizes the pinned Kyverno release and the policy release that depends on it, with typed values;
 * - validateImageAdmission names each bad field and what is allowed;
 * - the chart schema accepts exactly what the construct accepts (RE2 patterns against the kit's regexes);
 * - `helm template` renders the ClusterPolicy with the exact signer identity, per mode, for the given namespaces only,
 *   and the result is valid against Kyverno's own ClusterPolicy CRD;
 * - the Kyverno pin is one version everywhere (construct, chart, versions.env, the chart fetched at that tag).
 * The helm and CRD parts need `npm run tools:install` (CI runs it first); without it they are skipped, saying so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { TerraformVariable } from 'cdktf';
import * as fc from 'fast-check';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  ImageAdmission, ImageAdmissionProps, KYVERNO_APP_VERSION, KYVERNO_CHART, KYVERNO_NAMESPACE, KYVERNO_VALUES, imagePolicyValues, kyvernoValues,
  validateImageAdmission,
} from '../constructs/image-admission';
import { BRANCH_NAME, REPOSITORY, WORKFLOW_PATH } from '../constructs/names';
import { describe as describeValue } from '../constructs/validation';
import { errorOf, resources, synthScope } from './helpers';
import { lines } from './problems';

const ROOT = join(__dirname, '..');
const CHART = join(ROOT, 'charts', 'image-policy');
const TOOLS = process.env.VERIFY_TOOLS_DIR ?? join(ROOT, '.cache', 'tools');
const HELM = [join(TOOLS, 'bin', 'helm')].find((f) => existsSync(f));
const PYTHON = join(TOOLS, 'venv', 'bin', 'python');
const CRDS = join(TOOLS, 'crds');
const haveCrds = existsSync(PYTHON) && existsSync(join(CRDS, 'kyverno', 'kyverno.io_clusterpolicies.yaml'));
const MISSING = 'needs the validators: run `npm run tools:install` (CI does, before the tests)';
const withHelm = HELM ? test : (name: string, fn: () => void) => test.skip(`${name} [skipped: ${MISSING}]`, fn);
const withCrds = HELM && haveCrds ? test : (name: string, fn: () => void) => test.skip(`${name} [skipped: ${MISSING}]`, fn);

const SIGNER = { repository: 'contoso/ai-platform', workflow: '.github/workflows/app.yml', branch: 'main' };
const SUBJECT = 'https://github.com/contoso/ai-platform/.github/workflows/app.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const base: ImageAdmissionProps = { namespaces: ['ai-app-prod'], signer: SIGNER, mode: 'enforce' };

type Json = Record<string, unknown>;
const releases = (props: Partial<ImageAdmissionProps> = {}) => resources(synthScope((scope) => new ImageAdmission(scope, 'admission', { ...base, ...props })), 'helm_release');
const release = (all: Record<string, Json>, name: string) => Object.values(all).find((r) => r.name === name)!;
const valuesOf = (r: Json) => parse((r.values as string[])[0]) as Json;

/**
 * `helm template` of the chart with `values`; the ClusterPolicies it renders. Rendering is deterministic: the same
 * values and arguments render once per file, and each caller gets its own copy.
 */
const rendered = new Map<string, { status: number; stderr: string; docs: Json[]; text: string }>();
function helmTemplate(values: unknown, args: string[] = []): { status: number; stderr: string; docs: Json[]; text: string } {
  const key = JSON.stringify([values, args]);
  if (!rendered.has(key)) rendered.set(key, renderChart(values, args));
  return structuredClone(rendered.get(key)!);
}
function renderChart(values: unknown, args: string[]): { status: number; stderr: string; docs: Json[]; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'image-policy-'));
  try {
    writeFileSync(join(dir, 'values.yaml'), stringify(values));
    const run = spawnSync(HELM!, ['template', 'verify-image-signatures', CHART, '-f', join(dir, 'values.yaml'), ...args], { encoding: 'utf8' });
    const docs = run.status === 0 ? parseAllDocuments(run.stdout).map((d) => d.toJS() as Json).filter(Boolean) : [];
    return { status: run.status ?? 1, stderr: run.stderr, docs, text: run.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const verifyImagesOf = (policy: Json) => ((policy.spec as Json).rules as Json[])[0].verifyImages as Json[];

describe('ImageAdmission construct', () => {
  const all = releases();
  const engine = release(all, 'kyverno');
  const policy = release(all, 'verify-image-signatures');

  test('two releases: the engine and the policy', () => {
    expect(Object.values(all).map((r) => r.name).sort()).toEqual(['kyverno', 'verify-image-signatures']);
  });

  test('the engine is Kyverno from its chart repository at the pinned version, in its own namespace, atomic and waited for', () => {
    expect(KYVERNO_CHART).toEqual({ repository: 'https://kyverno.github.io/kyverno/', chart: 'kyverno', version: '3.8.2' });
    expect(engine).toMatchObject({
      repository: 'https://kyverno.github.io/kyverno/', chart: 'kyverno', version: '3.8.2', namespace: KYVERNO_NAMESPACE,
      create_namespace: true, atomic: true, wait: true, cleanup_on_fail: true, timeout: 600,
    });
    expect(valuesOf(engine)).toEqual(KYVERNO_VALUES);
    expect(KYVERNO_VALUES.admissionController.replicas).toBe(3);
  });

  test('the policy is the local chart, copied into the stack, installed after the engine', () => {
    expect(policy.chart).toMatch(/^assets\/admission_chart_[0-9A-F]+\/[0-9A-F]+$/);
    const engineId = Object.entries(all).find(([, r]) => r === engine)![0];
    expect(policy.depends_on).toEqual([`helm_release.${engineId}`]);
    expect(policy).toMatchObject({ namespace: KYVERNO_NAMESPACE, atomic: true, wait: true, timeout: 600 });
  });

  test('the policy values are imagePolicyValues(props), serialized as YAML', () => {
    expect(valuesOf(policy)).toEqual({ mode: 'enforce', namespaces: ['ai-app-prod'], signer: SIGNER, signatureFormat: 'sigstore-bundle' });
    const audit = { ...base, mode: 'audit' as const, namespaces: ['a', 'b'], signatureFormat: 'cosign' as const };
    expect(valuesOf(release(releases(audit), 'verify-image-signatures'))).toEqual(imagePolicyValues(audit));
    expect(imagePolicyValues(audit)).toEqual({ mode: 'audit', namespaces: ['a', 'b'], signer: SIGNER, signatureFormat: 'cosign' });
  });

  test('with a registry identity, Kyverno\'s admission controller gets its client ID for the Azure credential helper', () => {
    const clientId = '11111111-2222-4333-8444-555555555555';
    expect(valuesOf(release(releases({ registryIdentityClientId: clientId }), 'kyverno')).admissionController).toEqual({
      replicas: 3, container: { extraEnvVars: [{ name: 'AZURE_CLIENT_ID', value: clientId }] },
    });
    expect(kyvernoValues()).toEqual(KYVERNO_VALUES);
    // A token (the kubelet identity's client ID from another stack) is passed through for Terraform to resolve.
    const tf = synthScope((scope) => {
      const id = new TerraformVariable(scope, 'kubelet_client_id', { type: 'string' });
      new ImageAdmission(scope, 'admission', { ...base, registryIdentityClientId: id.stringValue });
    });
    const env = (valuesOf(release(resources(tf, 'helm_release'), 'kyverno')).admissionController as Json).container as Json;
    expect(env.extraEnvVars).toEqual([{ name: 'AZURE_CLIENT_ID', value: '${var.kubelet_client_id}' }]);
  });

  test('invalid props throw one error listing every problem', () => {
    expect(errorOf(() => synthScope((scope) => new ImageAdmission(scope, 'admission', { ...base, namespaces: [], mode: 'warn' as 'audit' })))).toMatch(
      /^Invalid image admission "[^"]*admission": 2 problems\n {2}- namespaces: at least one namespace is required/,
    );
  });
});

describe('validateImageAdmission', () => {
  test('valid props have no problems; the default chart path is the kit\'s chart', () => {
    expect(validateImageAdmission(base)).toEqual([]);
    expect(validateImageAdmission({ ...base, chartPath: CHART, mode: 'audit', signatureFormat: 'cosign', namespaces: ['a', 'b-c'] })).toEqual([]);
  });

  test('each bad field is named with what is allowed', () => {
    const problems = lines(validateImageAdmission({
      namespaces: ['ai-app', 'Bad_NS', 'ai-app'],
      signer: { repository: 'contoso', workflow: 'app.yml', branch: 'release/../main' },
      mode: 'off' as 'audit',
      signatureFormat: 'notary' as 'cosign',
      registryIdentityClientId: 'kubelet',
      chartPath: join(ROOT, 'charts'),
    }));
    expect(problems).toEqual([
      'namespaces[1]: "Bad_NS" is not allowed: a Kubernetes namespace: 1-63 lowercase letters, digits or hyphens, alphanumeric at both ends',
      'namespaces: "ai-app" appears more than once; each entry must be unique',
      'signer.repository: "contoso" is not allowed: owner/name, for example contoso/ai-platform',
      'signer.workflow: "app.yml" is not allowed: a workflow file such as .github/workflows/app.yml (letters, digits, dots, hyphens or underscores, ending in .yml or .yaml)',
      'signer.branch: "release/../main" is not allowed: a branch name such as main or release/v2: 1-100 letters, digits, dots, hyphens, underscores or slashes, no "..", no slash at either end',
      'mode: must be one of "enforce", "audit", got "off"',
      'signatureFormat: must be one of "sigstore-bundle", "cosign", got "notary"',
      'registryIdentityClientId: "kubelet" is not allowed: a GUID such as 00000000-0000-0000-0000-000000000000',
      `chartPath: ${describeValue(join(ROOT, 'charts'))} is not a chart directory (it has no Chart.yaml)`,
    ]);
  });

  test('no namespaces, a missing signer or missing mode are problems, not TypeErrors', () => {
    expect(lines(validateImageAdmission({ ...base, namespaces: [] }))).toEqual(['namespaces: at least one namespace is required: the policy would guard nothing']);
    expect(lines(validateImageAdmission({ namespaces: ['a'] } as unknown as ImageAdmissionProps))).toEqual([
      'signer: must be an object, got nothing',
      'mode: must be one of "enforce", "audit", got nothing',
    ]);
    expect(lines(validateImageAdmission({ ...base, namespaces: 'ai-app' as unknown as string[] }))).toEqual(['namespaces: must be a list, got "ai-app"']);
  });
});

describe('charts/image-policy values.schema.json', () => {
  /** Generated strings per rule: 600 by default, 3,000 in the deep run (DEEP_TESTS=1, set by .ci/run). */
  const PROPERTY_RUNS = process.env.DEEP_TESTS === '1' ? 3000 : 600;
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Json;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const valid = (values: unknown) => validate(values) === true;
  const withSigner = (signer: Partial<typeof SIGNER>) => ({ mode: 'enforce', namespaces: ['a'], signer: { ...SIGNER, ...signer }, signatureFormat: 'sigstore-bundle' });
  const props = (signer: Partial<typeof SIGNER>) => validateImageAdmission({ ...base, signer: { ...SIGNER, ...signer } }).length === 0;
  // Characters that matter to the three rules, so generated strings often sit near a boundary.
  const text = (max: number) => fc.string({ unit: fc.constantFrom(...'aZ09-._/'.split(''), '.github/workflows/', '.yml', '.yaml', '..'), maxLength: max });

  test('values.yaml has every key the schema requires, and the chart renders nothing without a signer and namespaces', () => {
    const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Json;
    expect(Object.keys(defaults).sort()).toEqual([...(schema.required as string[])].sort());
    expect(valid(defaults)).toBe(false);
    expect(valid({ ...defaults, namespaces: ['a'], signer: SIGNER })).toBe(true);
  });

  test('the schema and validateImageAdmission accept the same repositories, workflows and branches', () => {
    fc.assert(fc.property(fc.tuple(text(12), text(12)).map(([a, b]) => `${a}/${b}`), (repository) => valid(withSigner({ repository })) === props({ repository })), { numRuns: PROPERTY_RUNS });
    // Owners near the rules (hyphens, length 39/40), names near theirs ('.', '..', length 100/101).
    const owner = fc.string({ unit: fc.constantFrom('a', '0', '-', 'Z'), minLength: 0, maxLength: 42 });
    const name = fc.oneof(fc.string({ unit: fc.constantFrom('a', '.', '_', '-'), maxLength: 4 }), fc.string({ unit: fc.constant('b'), minLength: 99, maxLength: 102 }));
    fc.assert(fc.property(fc.tuple(owner, name).map(([a, b]) => `${a}/${b}`), (repository) => valid(withSigner({ repository })) === props({ repository })), { numRuns: PROPERTY_RUNS });
    fc.assert(fc.property(text(8).map((s) => `.github/workflows/${s}`), (workflow) => valid(withSigner({ workflow })) === props({ workflow })), { numRuns: PROPERTY_RUNS });
    fc.assert(fc.property(text(10), (branch) => valid(withSigner({ branch })) === props({ branch })), { numRuns: PROPERTY_RUNS });
    for (const repository of ['a/b', `${'a'.repeat(39)}/x`, `${'a'.repeat(40)}/x`, 'a-b/c', '-a/b', 'a-/b', 'a--b/c', 'a/.', 'a/..', 'a/...', `a/${'b'.repeat(101)}`]) {
      expect([repository, valid(withSigner({ repository }))]).toEqual([repository, REPOSITORY.test(repository)]);
    }
    for (const branch of ['main', 'release/v2', '/main', 'main/', 'a..b', 'a.b', 'x'.repeat(100), 'x'.repeat(101)]) {
      expect([branch, valid(withSigner({ branch }))]).toEqual([branch, BRANCH_NAME.test(branch)]);
    }
    expect(valid(withSigner({ workflow: '.github/workflows/app.yaml' }))).toBe(WORKFLOW_PATH.test('.github/workflows/app.yaml'));
  });

  test('the schema refuses an unknown key, a bad mode, an empty or bad namespace list', () => {
    const good = withSigner({});
    expect(valid(good)).toBe(true);
    expect(valid({ ...good, modes: 'audit' })).toBe(false);
    expect(valid({ ...good, signer: { ...SIGNER, email: 'x@example.com' } })).toBe(false);
    expect(valid({ ...good, mode: 'warn' })).toBe(false);
    expect(valid({ ...good, namespaces: [] })).toBe(false);
    expect(valid({ ...good, namespaces: ['a', 'a'] })).toBe(false);
    expect(valid({ ...good, namespaces: ['A'] })).toBe(false);
  });
});

describe('charts/image-policy rendered by helm template', () => {
  const values = (extra: Json = {}) => ({ ...imagePolicyValues({ ...base, namespaces: ['ai-app-prod', 'ai-app-jobs'] }), ...extra });

  withHelm('one ClusterPolicy: every image of a pod in the given namespaces, signed keyless by the workflow on the branch, in the Rekor log', () => {
    const { status, stderr, docs } = helmTemplate(values());
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(docs.map((d) => `${String(d.apiVersion)} ${String(d.kind)}`)).toEqual(['kyverno.io/v1 ClusterPolicy']);
    const policy = docs[0]!;
    expect((policy.metadata as Json).name).toBe('verify-image-signatures');
    expect(policy.spec).toMatchObject({ admission: true, background: false, webhookConfiguration: { failurePolicy: 'Fail', timeoutSeconds: 30 } });
    const rules = (policy.spec as Json).rules as Json[];
    expect(rules).toHaveLength(1);
    expect(rules[0]!.match).toEqual({ any: [{ resources: { kinds: ['Pod'], namespaces: ['ai-app-prod', 'ai-app-jobs'] } }] });
    expect(verifyImagesOf(policy)).toEqual([{
      imageReferences: ['*'],
      type: 'SigstoreBundle',
      failureAction: 'Enforce',
      mutateDigest: true,
      verifyDigest: true,
      required: true,
      attestors: [{ count: 1, entries: [{ keyless: { subject: SUBJECT, issuer: ISSUER, rekor: { url: 'https://rekor.sigstore.dev' } } }] }],
    }]);
  });

  withHelm('audit admits and reports: failureAction Audit, and no digest mutation (Kyverno refuses mutateDigest with Audit)', () => {
    const [policy] = helmTemplate(values({ mode: 'audit' })).docs;
    expect(verifyImagesOf(policy!)[0]).toMatchObject({ failureAction: 'Audit', mutateDigest: false, verifyDigest: true, required: true });
    expect((policy!.spec as Json).validationFailureAction).toBeUndefined();
  });

  withHelm('the signature format picks Kyverno\'s verifier: SigstoreBundle (OCI referrer) or Cosign (.sig tag)', () => {
    expect(verifyImagesOf(helmTemplate(values({ signatureFormat: 'cosign' })).docs[0]!)[0]!.type).toBe('Cosign');
  });

  withHelm('the subject follows each part of the signer', () => {
    const signer = { repository: 'Fabrikam-Inc/app.api', workflow: '.github/workflows/release-images.yaml', branch: 'release/v2' };
    const [policy] = helmTemplate(values({ signer })).docs;
    const entry = (((verifyImagesOf(policy!)[0]!.attestors as Json[])[0]!.entries as Json[])[0]!.keyless as Json);
    expect(entry.subject).toBe('https://github.com/Fabrikam-Inc/app.api/.github/workflows/release-images.yaml@refs/heads/release/v2');
  });

  withHelm('Helm refuses a bad workflow, an unknown key and missing namespaces through the schema', () => {
    // All three at once: Helm reports every schema violation of a values file in one run.
    const bad = helmTemplate(values({ signer: { ...SIGNER, workflow: 'app.yml' }, modee: 'audit', namespaces: [] }));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('signer.workflow: Does not match pattern');
    expect(bad.stderr).toMatch(/Additional property modee is not allowed/);
    expect(bad.stderr).toContain('namespaces: Array must have at least 1 items');
    const defaults = spawnSync(HELM!, ['template', 'x', CHART], { encoding: 'utf8' });
    expect(defaults.status).not.toBe(0);
    expect(defaults.stderr).toContain('signer.repository');
  });

  withHelm('helm lint --strict passes with real values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-policy-'));
    try {
      writeFileSync(join(dir, 'v.yaml'), stringify(values()));
      const lint = spawnSync(HELM!, ['lint', '--strict', CHART, '-f', join(dir, 'v.yaml')], { encoding: 'utf8' });
      expect(lint.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(lint.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  withCrds('both modes are valid against Kyverno\'s ClusterPolicy CRD at the pinned release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-policy-'));
    try {
      const files = (['enforce', 'audit'] as const).map((mode) => {
        const file = join(dir, `${mode}.yaml`);
        writeFileSync(file, helmTemplate(values({ mode })).text);
        return file;
      });
      const run = spawnSync(PYTHON, [join(ROOT, 'scripts/tools/crds.py'), 'validate', '--crds', CRDS, ...files], { encoding: 'utf8' });
      const report = JSON.parse(run.stdout) as { findings: unknown[]; validated: Json[] };
      expect(report.findings).toEqual([]);
      expect(report.validated.map((d) => `${String(d.kind)}/${String(d.name)}`)).toEqual(['ClusterPolicy/verify-image-signatures', 'ClusterPolicy/verify-image-signatures']);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Kyverno pin', () => {
  const versions = readFileSync(join(ROOT, 'scripts/tools/versions.env'), 'utf8');
  const kyvernoCrds = /^CRDS_KYVERNO='([^']+)'$/m.exec(versions)![1]!.split('|');

  test('one release everywhere: the construct, the policy chart and the CRDs verify checks against', () => {
    expect(KYVERNO_APP_VERSION).toBe('v1.18.2');
    expect(kyvernoCrds.slice(1, 3)).toEqual(['github.com/kyverno/kyverno', KYVERNO_APP_VERSION]);
    expect((parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Json).appVersion).toBe(KYVERNO_APP_VERSION);
  });

  (existsSync(join(CRDS, 'kyverno', 'Chart.yaml')) ? test : (name: string, fn: () => void) => test.skip(`${name} [skipped: ${MISSING}]`, fn))(
    'the Kyverno chart at that tag is KYVERNO_CHART\'s version, and has every key KYVERNO_VALUES and kyvernoValues set',
    () => {
      const chart = parse(readFileSync(join(CRDS, 'kyverno', 'Chart.yaml'), 'utf8')) as Json;
      expect({ version: chart.version, appVersion: chart.appVersion }).toEqual({ version: KYVERNO_CHART.version, appVersion: KYVERNO_APP_VERSION });
      const defaults = parse(readFileSync(join(CRDS, 'kyverno', 'values.yaml'), 'utf8')) as Json;
      const paths = (o: unknown, prefix: string[] = []): string[][] =>
        o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => paths(v, [...prefix, k])) : [prefix];
      for (const path of paths(kyvernoValues({ registryIdentityClientId: '11111111-2222-4333-8444-555555555555' }))) {
        const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Json)?.[k], defaults) as Json | undefined;
        expect([path.join('.'), parent !== undefined && path[path.length - 1]! in parent]).toEqual([path.join('.'), true]);
      }
    },
  );
});
