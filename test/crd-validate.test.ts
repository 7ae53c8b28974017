/**
 * scripts/tools/crds.py, the CRD step of `npm run verify`: custom resources against the real CRD schemas (Flux as the
 * AKS extension installs it, Kyverno as the construct pins it). A broken manifest must be reported with its file,
 * document, kind/name and the JSON path of the fault. Needs `npm run tools:install` (the virtualenv and the CRDs);
 * CI installs them before the tests, and without them these tests are skipped, saying so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { gitopsManifests } from '../stacks/gitops-manifests';
import { fixtureConfig } from './fixtures/config';

const ROOT = join(__dirname, '..');
const TOOLS = process.env.VERIFY_TOOLS_DIR ?? join(ROOT, '.cache', 'tools');
const PYTHON = join(TOOLS, 'venv', 'bin', 'python');
const CRDS = join(TOOLS, 'crds');
const MISSING = 'needs the validators: run `npm run tools:install` (CI does, before the tests)';
const skipped = (name: string, fn: () => void) => test.skip(`${name} [skipped: ${MISSING}]`, fn);
const withPython = existsSync(PYTHON) ? test : skipped;
const withFlux = existsSync(PYTHON) && existsSync(join(CRDS, 'flux', 'helm-controller.yaml')) ? test : skipped;

interface Finding { file: string; document: number; apiVersion: string; kind: string; name: string; path: string; message: string }
interface Report { findings: Finding[]; validated: Array<{ kind: string; name: string }>; uncovered: Array<{ kind: string }>; skipped: Array<{ kind: string }>; substitutions: number }

/**
 * Every case's input, validated by crds.py in one Python process (its startup and loading the CRDs are most of a
 * run): a driver calls crds.py's own main(['crds.py', 'validate', '--crds', DIR, FILE]) once per case, as
 * the command line does, capturing its stdout and exit code. Each DIR's CRDs are parsed once and validate() gets a
 * fresh copy of them, as a process of its own would. test/image-admission.test.ts runs crds.py as a process.
 */
const DRIVER = `
import contextlib, copy, io, json, sys
sys.path.insert(0, sys.argv[1])
import crds
parsed = {}
load_crds = crds.load_crds
def load_once(directory):
    if directory not in parsed:
        parsed[directory] = load_crds(directory)
    return copy.deepcopy(parsed[directory])
crds.load_crds = load_once
results = []
for crd_dir, file in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = crds.main(['crds.py', 'validate', '--crds', crd_dir, file])
    results.append({'status': status, 'stdout': out.getvalue()})
json.dump(results, sys.stdout)
`;

let dir: string;
const cases: Array<{ docs: () => unknown[]; crds: () => string; result?: { status: number; report: Report; file: string } }> = [];

/** Registers a case, validated with all the others in beforeAll; the test reads its result. */
function validate(docs: () => unknown[], crds: () => string = () => CRDS): () => { status: number; report: Report; file: string } {
  const entry: (typeof cases)[number] = { docs, crds };
  cases.push(entry);
  return () => {
    if (!entry.result) throw new Error('this case was not validated (is crds.py installed?)');
    return entry.result;
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'crd-validate-'));
  if (!existsSync(PYTHON)) return;
  const inputs = cases.map((c, i) => {
    const file = join(dir, `input-${i}.yaml`);
    writeFileSync(file, c.docs().map((d) => stringify(d)).join('---\n'));
    return [c.crds(), file];
  });
  const run = spawnSync(PYTHON, ['-c', DRIVER, join(ROOT, 'scripts/tools')], { input: JSON.stringify(inputs), encoding: 'utf8' });
  if (run.stderr || run.status !== 0) throw new Error(`crds.py driver failed (${run.status}): ${run.stderr}`);
  (JSON.parse(run.stdout) as Array<{ status: number; stdout: string }>).forEach((r, i) => {
    cases[i].result = { status: r.status, report: JSON.parse(r.stdout) as Report, file: inputs[i][1] };
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const helmRelease = (spec: Record<string, unknown>) => ({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'ai-app', namespace: 'flux-system' }, spec });
const goodSpec = {
  interval: '10m',
  chart: { spec: { chart: './charts/ai-app', sourceRef: { kind: 'Bucket', name: 'cluster-config' } } },
  valuesFrom: [{ kind: 'ConfigMap', name: 'ai-app-image', valuesKey: 'values.yaml' }],
  values: { anything: { goes: ['here'] } },
};

describe('against the Flux CRDs of the AKS extension', () => {
  const valid = validate(() => [helmRelease(goodSpec)]);
  withFlux('a valid HelmRelease passes', () => {
    const { status, report } = valid();
    expect(report.findings).toEqual([]);
    expect(report.validated.map((d) => `${d.kind}/${d.name}`)).toEqual(['HelmRelease/ai-app']);
    expect(status).toBe(0);
  });

  const missingChart = validate(() => [
    helmRelease(goodSpec),
    helmRelease({ ...goodSpec, chart: { spec: { sourceRef: { kind: 'Bucket', name: 'cluster-config' } } } }),
    helmRelease({ ...goodSpec, valuesFromm: goodSpec.valuesFrom }),
  ]);
  withFlux('a HelmRelease without spec.chart.spec.chart, or with spec.valuesFromm, is reported with file, document, kind/name and path', () => {
    const { status, report, file } = missingChart();
    expect(status).toBe(1);
    expect(report.findings.map(({ file: f, document, apiVersion, kind, name, path, message }) => ({ f, document, apiVersion, kind, name, path, message }))).toEqual([
      { f: file, document: 1, apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'ai-app', path: 'spec.chart.spec.chart', message: 'required field is missing' },
      { f: file, document: 2, apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'ai-app', path: 'spec.valuesFromm', message: 'unknown field: the CRD schema has no such field' },
    ]);
  });

  const wrongTypes = validate(() => [
    helmRelease({ ...goodSpec, interval: 10, chart: { spec: { ...goodSpec.chart.spec, sourceRef: { kind: 'GitHub', name: 'x' } } } }),
    helmRelease({ ...goodSpec, maxHistory: '${MAX_HISTORY}' }),
  ]);
  withFlux('wrong types and enums are reported at their path; a Flux ${VAR} substitution is not a type error', () => {
    const { report } = wrongTypes();
    expect(report.findings.map((f) => `${f.document} ${f.path}`)).toEqual(['0 spec.chart.spec.sourceRef.kind', '0 spec.interval']);
    expect(report.substitutions).toBe(1);
  });

  const otherKinds = validate(() => [
    { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Provider', metadata: { name: 'github' }, spec: { type: 'githubdispatch', address: 'https://github.com/contoso/ai-platform', secretRef: { name: 's' } } },
    { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Alert', metadata: { name: 'a' }, spec: { providerRef: { name: 'github' }, eventSeverity: 'fatal', eventSources: [{ kind: 'HelmRelease', name: '*' }] } },
    { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps' }, spec: { interval: '10m', prune: true, sourceRef: { kind: 'Bucket', name: 'b' }, path: './deploy' } },
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'Bucket', metadata: { name: 'b' }, spec: { interval: '1m', bucketName: 'x', endpoint: 'example.blob.core.windows.net', provider: 'azure' } },
    { apiVersion: 'helm.toolkit.fluxcd.io/v2beta2', kind: 'HelmRelease', metadata: { name: 'old' }, spec: goodSpec },
    { apiVersion: 'helm.toolkit.fluxcd.io/v3', kind: 'HelmRelease', metadata: { name: 'future' }, spec: goodSpec },
    { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmChart', metadata: { name: 'wrong-group' }, spec: {} },
  ]);
  withFlux('Provider, Alert, Kustomization and Bucket are validated too; a deprecated or unknown version is a finding', () => {
    const { report } = otherKinds();
    expect(report.findings.map((f) => `${f.document} ${f.kind}/${f.name} ${f.path}: ${f.message}`)).toEqual([
      "1 Alert/a spec.eventSeverity: 'fatal' is not one of ['info', 'error']",
      '4 HelmRelease/old apiVersion: deprecated: v2beta2 HelmRelease is deprecated, upgrade to v2',
      '5 HelmRelease/future apiVersion: helm.toolkit.fluxcd.io serves HelmRelease as v2, v2beta2 (deprecated), not v3',
      '6 HelmChart/wrong-group kind: the CRDs of helm.toolkit.fluxcd.io define no kind HelmChart (they define HelmRelease)',
    ]);
    expect(report.validated.map((d) => d.kind)).toEqual(['Provider', 'Alert', 'Kustomization', 'Bucket', 'HelmRelease']);
  });

  const generated = validate(() => [...gitopsManifests(fixtureConfig).values()].flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as unknown)));
  withFlux('the GitOps generator\'s manifests (for the tests\' configuration, whose prod is GitOps) are valid', () => {
    const { status, report } = generated();
    expect(report.findings).toEqual([]);
    expect(report.validated.map((d) => d.kind).sort()).toEqual(expect.arrayContaining(['Alert', 'HelmRelease', 'Provider']));
    expect(status).toBe(0);
  });

  const builtIn = validate(() => [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} },
    { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['a.yaml'] },
  ]);
  withFlux('built-in kinds are left for kubernetes-validate, kustomize build files are skipped', () => {
    const { status, report } = builtIn();
    expect(status).toBe(0);
    expect(report.uncovered.map((d) => d.kind)).toEqual(['ConfigMap']);
    expect(report.skipped.map((d) => d.kind)).toEqual(['Kustomization']);
  });
});

describe('the openAPIV3Schema to JSON Schema conversion', () => {
  // A CRD of our own, with each construct the conversion has to get right.
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Cluster', names: { kind: 'Widget', plural: 'widgets' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: {
          type: 'object',
          properties: {
            apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
            spec: {
              type: 'object',
              required: ['port'],
              properties: {
                port: { 'x-kubernetes-int-or-string': true },
                free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                note: { type: 'string', nullable: true },
                replicas: { type: 'integer', minimum: 0, exclusiveMinimum: true },
              },
              'x-kubernetes-validations': [{ rule: 'self.port != 0' }],
            },
          },
        } },
      }],
    },
  };
  const widget = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'w' }) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata, spec });
  /** A CRD directory holding only the Widget CRD (written when the cases are validated). */
  const widgetCrds = () => {
    const crds = join(dir, 'crds');
    mkdirSync(crds, { recursive: true });
    writeFileSync(join(crds, 'widgets.yaml'), stringify(crd));
    return crds;
  };

  const widgets = validate(() => [
    widget({ port: 8080, free: { any: { thing: 1 } }, note: null, replicas: 1 }),
    widget({ port: 'http' }),
    widget({ port: true, replicas: 0 }),
    widget({ port: 1, extra: 1 }),
    widget({}, { name: 'Bad_Name', namespace: 'x' }),
  ], () => widgetCrds());
  withPython('int-or-string, preserve-unknown-fields, nullable and exclusive bounds follow the API server', () => {
    const { report } = widgets();
    expect(report.findings.map((f) => `${f.document} ${f.path}: ${f.message}`)).toEqual([
      "2 spec.port: True is not valid under any of the given schemas (True is not of type 'integer')",
      '2 spec.replicas: 0 is less than or equal to the minimum of 0',
      '3 spec.extra: unknown field: the CRD schema has no such field',
      '4 metadata.name: required: a DNS subdomain name (lowercase letters, digits, "-" and ".", at most 253)',
      '4 metadata.namespace: Widget is cluster-scoped: it has no namespace',
      '4 spec.port: required field is missing',
    ]);
  });
});

describe('the parsed CRDs are kept beside them (DIR/.crds.json)', () => {
  const definition = (kind: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${kind.toLowerCase()}s.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { kind: ${kind}, plural: ${kind.toLowerCase()}s }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]
`;
  /**
   * One Python process runs the steps: each writes or removes a file (or does nothing), then calls load_crds, and
   * records the kinds it found and whether it parsed YAML (crds.py imports PyYAML only to parse; the module is
   * dropped again after each step).
   */
  const STEPS = `
import json, os, sys
sys.path.insert(0, sys.argv[1])
import crds
directory, steps = sys.argv[2], json.loads(sys.stdin.read())
results = []
for name, text in steps:
    if name:
        path = os.path.join(directory, name)
        if text is None:
            os.remove(path)
        else:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    sys.modules.pop('yaml', None)
    parsed = crds.load_crds(directory)[0]
    results.append({'kinds': sorted(k for (_, _, k) in parsed), 'yaml': 'yaml' in sys.modules, 'cache': os.path.exists(os.path.join(directory, '.crds.json'))})
print(json.dumps(results))
`;

  withPython('used while the YAML files are unchanged, parsed again when one changes, is added or is removed', () => {
    const crds = join(dir, 'cached-crds');
    mkdirSync(crds, { recursive: true });
    const steps = [
      ['a.yaml', definition('Apple')],
      [null, null],
      ['a.yaml', definition('Avocado')],
      ['b.yml', definition('Banana')],
      ['a.yaml', null],
      [null, null],
    ];
    const run = spawnSync(PYTHON, ['-c', STEPS, join(ROOT, 'scripts/tools'), crds], { input: JSON.stringify(steps), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([
      { kinds: ['Apple'], yaml: true, cache: true },
      { kinds: ['Apple'], yaml: false, cache: true },
      { kinds: ['Avocado'], yaml: true, cache: true },
      { kinds: ['Avocado', 'Banana'], yaml: true, cache: true },
      { kinds: ['Banana'], yaml: true, cache: true },
      { kinds: ['Banana'], yaml: false, cache: true },
    ]);
  });
});
