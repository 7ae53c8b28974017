/**
 * Offline checks of the ai-app Helm chart (charts/ai-app). No helm binary is needed:
 * - values.yaml matches the documented contract and validates (with an image override) against values.schema.json;
 * - the schema rejects the invalid values the chart must never deploy;
 * - every .Values path the templates use exists in values.yaml (and every value is used);
 * - the templates carry the pod hardening and workload identity settings.
 * Where helm is installed (`npm run verify` puts it in .cache/tools/bin), `helm template` also renders the chart
 * and the rendered objects are checked; without it those tests are skipped.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { parse, parseAllDocuments, stringify } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const CHART_DIR = path.join(__dirname, '..', 'charts', 'ai-app');
const TEMPLATES_DIR = path.join(CHART_DIR, 'templates');
const read = (...parts: string[]): string => fs.readFileSync(path.join(CHART_DIR, ...parts), 'utf8');

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's merge of user values over chart defaults: maps merge recursively, null deletes, anything else replaces. */
function helmMerge(base: JsonObject, override: JsonObject): JsonObject {
  const out: JsonObject = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = helmMerge(out[key] as JsonObject, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

const valuesText = read('values.yaml');
const defaults = parse(valuesText) as JsonObject;
const schema = JSON.parse(read('values.schema.json')) as JsonObject;
const validate: ValidateFunction = new Ajv({ allErrors: true, strict: false }).compile(schema);

const MINIMAL_OVERRIDE: JsonObject = { image: { repository: 'example.azurecr.io/ai-app', tag: '0123abc' } };
const withOverride = (...overrides: JsonObject[]): JsonObject =>
  overrides.reduce<JsonObject>((acc, o) => helmMerge(acc, o), helmMerge(defaults, MINIMAL_OVERRIDE));

function errorsOf(values: unknown): ErrorObject[] {
  return validate(values) ? [] : [...(validate.errors ?? [])];
}
const describeErrors = (errors: ErrorObject[]): string =>
  errors.map((e) => `${e.instancePath || '(root)'} ${e.keyword}: ${e.message} ${JSON.stringify(e.params)}`).join('\n');

const templateFiles = fs.readdirSync(TEMPLATES_DIR).filter((f) => /\.(yaml|tpl|txt)$/.test(f)).sort();
const templates: Record<string, string> = Object.fromEntries(
  templateFiles.map((f) => [f, fs.readFileSync(path.join(TEMPLATES_DIR, f), 'utf8')]),
);

/**
 * A template reduced to plain YAML: lines made only of template actions are dropped and inline actions
 * become quoted strings holding the action text. Enough to assert on the static structure of a manifest.
 */
function skeleton(file: string): JsonObject {
  const lines = templates[file]!.split('\n')
    .filter((line) => line.replace(/\{\{.*?\}\}/g, '').trim() !== '' || line.trim() === '')
    .map((line) => line.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => JSON.stringify(`{{ ${expr} }}`)));
  return parse(lines.join('\n')) as JsonObject;
}

/** Value at a dotted path of a parsed object, undefined when any segment is missing. */
function at(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((cur, key) => (isObject(cur) && key in cur ? cur[key] : undefined), obj);
}

/** The helm binary `npm run verify` installs, else one on PATH; undefined when there is none. */
const HELM = [process.env.VERIFY_TOOLS_DIR, path.join(__dirname, '..', '.cache', 'tools')]
  .filter((dir): dir is string => dir !== undefined)
  .map((dir) => path.join(dir, 'bin', 'helm'))
  .find((file) => fs.existsSync(file)) ?? (spawnSync('helm', ['version'], { encoding: 'utf8' }).status === 0 ? 'helm' : undefined);
const withHelm = HELM ? it : it.skip;

/**
 * `helm template` of the chart with `values` as a values file (merged over values.yaml by Helm, schema-checked).
 * Rendering is deterministic: the same values render once per file, and each caller gets its own copy.
 */
const rendered = new Map<string, { status: number; stderr: string; objects: JsonObject[] }>();
function helmTemplate(values: JsonObject): { status: number; stderr: string; objects: JsonObject[] } {
  const key = JSON.stringify(values);
  if (!rendered.has(key)) rendered.set(key, renderChart(values));
  return structuredClone(rendered.get(key)!);
}
function renderChart(values: JsonObject): { status: number; stderr: string; objects: JsonObject[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-'));
  try {
    fs.writeFileSync(path.join(dir, 'values.yaml'), stringify(values));
    const run = spawnSync(HELM!, ['template', 'ai-app', CHART_DIR, '--namespace', 'production', '--values', path.join(dir, 'values.yaml')], { encoding: 'utf8' });
    const objects = run.status === 0 ? parseAllDocuments(run.stdout).map((d) => d.toJSON() as JsonObject).filter((o) => o !== null) : [];
    return { status: run.status ?? 1, stderr: run.stderr, objects };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const CLIENT_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const DIGEST_HEX = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
const DIGEST = `sha256:${DIGEST_HEX}`;
/** The one rendered object of `kind`. */
function objectOf(objects: JsonObject[], kind: string): JsonObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}`);
  return found[0]!;
}

describe('Chart.yaml', () => {
  it('declares ai-app 0.1.0, apiVersion v2', () => {
    const chart = parse(read('Chart.yaml')) as JsonObject;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'ai-app', version: '0.1.0', appVersion: '0.1.0', type: 'application' });
    expect(read('Chart.yaml')).toMatch(/^appVersion: "0\.1\.0"$/m);
  });
});

describe('values.yaml contract', () => {
  it('has exactly the agreed structure and defaults', () => {
    expect(defaults).toStrictEqual({
      replicaCount: 2,
      image: { repository: '', tag: '', digest: '', pullPolicy: 'Always' },
      serviceAccount: { name: 'ai-app', workloadIdentityClientId: '', annotations: {} },
      podLabels: {},
      podAnnotations: {},
      containerPort: 8080,
      service: { type: 'ClusterIP', port: 80 },
      probes: { livenessPath: '/healthz', readinessPath: '/readyz' },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      ingress: { enabled: false, className: '', host: '', path: '/', tlsSecretName: '', annotations: {} },
      networkPolicy: {
        enabled: true,
        ingressNamespaces: [{ 'kubernetes.io/metadata.name': 'app-routing-system' }],
        ingressCidrs: [],
        egress: { allowAll: false, dns: true, tcpPorts: [443] },
      },
      securityContext: { runAsUser: 10001, runAsGroup: 10001 },
      env: [],
      nodeSelector: {},
      tolerations: [],
    });
  });

  it('documents every key with a comment on the line above', () => {
    const lines = valuesText.split('\n');
    const undocumented = lines
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => /^\s*[A-Za-z][\w-]*:/.test(line))
      .filter(({ i }) => i === 0 || !/^\s*#/.test(lines[i - 1]!))
      .map(({ line, i }) => `line ${i + 1}: ${line.trim()}`);
    expect(undocumented).toEqual([]);
  });
});

describe('values.schema.json', () => {
  it('is a plain draft-07 schema that Helm can evaluate (no $data, RE2-compatible patterns)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const patterns: string[] = [];
    const dataRefs: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${where}/${i}`));
      else if (isObject(node)) {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'pattern' && typeof v === 'string') patterns.push(v);
          if (k === '$data') dataRefs.push(where);
          walk(v, `${where}/${k}`);
        }
      }
    };
    walk(schema, '#');
    expect(dataRefs).toEqual([]);
    expect(patterns.length).toBeGreaterThan(5);
    // Go's regexp (used by Helm's validators) has no lookaround and no backreferences.
    expect(patterns.filter((p) => /\(\?[=!<]|\\[1-9]/.test(p))).toEqual([]);
  });

  it('accepts values.yaml merged with the minimal image override', () => {
    const errors = errorsOf(withOverride());
    expect(describeErrors(errors)).toBe('');
  });

  it('rejects values.yaml alone only because of the empty image repository and tag', () => {
    const errors = errorsOf(defaults);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => e.instancePath))).toEqual(new Set(['/image/repository', '/image/tag']));
  });

  it('accepts the prod reference values', () => {
    const prod = withOverride({
      replicaCount: 3,
      image: { repository: 'myacrprod.azurecr.io/ai-app', tag: '9f2c1e4b7a0d' },
      serviceAccount: { workloadIdentityClientId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b' },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
      autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 20, targetCPUUtilizationPercentage: 70 },
    });
    expect(describeErrors(errorsOf(prod))).toBe('');
  });

  it.each<[string, JsonObject]>([
    ['ingress enabled with host and TLS', { ingress: { enabled: true, className: 'webapprouting.kubernetes.azure.com', host: 'ai.example.com', path: '/api', tlsSecretName: 'ai-tls', annotations: { a: 'b' } } }],
    ['autoscaling disabled with a fixed replica count', { replicaCount: 1, autoscaling: { enabled: false }, podDisruptionBudget: { enabled: false } }],
    ['minReplicas equal to maxReplicas', { autoscaling: { minReplicas: 4, maxReplicas: 4 } }],
    ['percentage minAvailable', { podDisruptionBudget: { minAvailable: '50%' } }],
    ['numeric cpu/memory and an extra GPU resource', { resources: { limits: { cpu: 2, memory: 1073741824, 'nvidia.com/gpu': 1 } } }],
    ['env, labels, annotations, nodeSelector and tolerations', {
      env: [{ name: 'LOG_LEVEL', value: 'info' }],
      podLabels: { team: 'ai' },
      podAnnotations: { 'prometheus.io/scrape': 'true' },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    }],
    ['Helm globals passed by a parent chart', { global: { imageRegistry: 'x' } }],
    ['an image digest', { image: { digest: DIGEST } }],
    ['a NetworkPolicy for a LoadBalancer and a monitoring namespace', { networkPolicy: {
      ingressNamespaces: [{ 'kubernetes.io/metadata.name': 'app-routing-system' }, { 'kubernetes.io/metadata.name': 'monitoring', team: 'obs' }],
      ingressCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      egress: { tcpPorts: [443, 5432] },
    } }],
    ['a NetworkPolicy with all egress allowed, or none', { networkPolicy: { egress: { allowAll: true, dns: false, tcpPorts: [] } } }],
    ['no NetworkPolicy and no other namespace', { networkPolicy: { enabled: false, ingressNamespaces: [] } }],
  ])('accepts %s', (_name, override) => {
    expect(describeErrors(errorsOf(withOverride(override)))).toBe('');
  });

  // Every row has 4 cells: with fewer, jest passes its done callback as the last argument.
  it.each<[string, JsonObject, string, string | null]>([
    ['empty image.repository', { image: { repository: '' } }, '/image/repository', null],
    ['image.repository with a tag', { image: { repository: 'myacr.azurecr.io/ai-app:v1' } }, '/image/repository', null],
    ['image.tag latest', { image: { tag: 'latest' } }, '/image/tag', 'not'],
    ['image.tag LATEST', { image: { tag: 'LATEST' } }, '/image/tag', 'not'],
    ['empty image.tag', { image: { tag: '' } }, '/image/tag', 'pattern'],
    ['whitespace image.tag', { image: { tag: ' ' } }, '/image/tag', 'pattern'],
    ['image.tag with inner whitespace', { image: { tag: 'abc def' } }, '/image/tag', 'pattern'],
    ['numeric image.tag (unquoted all-digit SHA)', { image: { tag: 1234567 } }, '/image/tag', 'type'],
    ['bad image.pullPolicy', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy', 'enum'],
    ['unknown image key', { image: { sha: '3f2c1ab' } }, '/image', 'additionalProperties'],
    ['image.digest too short', { image: { digest: 'sha256:abc' } }, '/image/digest', 'anyOf'],
    ['image.digest in upper case', { image: { digest: `sha256:${DIGEST_HEX.toUpperCase()}` } }, '/image/digest', 'anyOf'],
    ['image.digest without the algorithm', { image: { digest: DIGEST_HEX } }, '/image/digest', 'anyOf'],
    ['image.digest of another algorithm', { image: { digest: `sha512:${DIGEST_HEX}` } }, '/image/digest', 'anyOf'],
    ['image.digest with the repository', { image: { digest: `example.azurecr.io/ai-app@sha256:${DIGEST_HEX}` } }, '/image/digest', 'anyOf'],
    ['image.digest with a trailing newline', { image: { digest: `sha256:${DIGEST_HEX}\n` } }, '/image/digest', 'anyOf'],
    ['image.digest as null-like text', { image: { digest: 'none' } }, '/image/digest', 'anyOf'],
    ['replicaCount 0', { replicaCount: 0 }, '/replicaCount', 'minimum'],
    ['autoscaling.minReplicas 0', { autoscaling: { minReplicas: 0 } }, '/autoscaling/minReplicas', 'minimum'],
    ['autoscaling.minReplicas above the documented cap', { autoscaling: { minReplicas: 101, maxReplicas: 200 } }, '/autoscaling/minReplicas', 'maximum'],
    ['autoscaling.maxReplicas < minReplicas', { autoscaling: { minReplicas: 5, maxReplicas: 3 } }, '/autoscaling/maxReplicas', 'minimum'],
    ['targetCPUUtilizationPercentage 0', { autoscaling: { targetCPUUtilizationPercentage: 0 } }, '/autoscaling/targetCPUUtilizationPercentage', 'minimum'],
    ['targetCPUUtilizationPercentage 101', { autoscaling: { targetCPUUtilizationPercentage: 101 } }, '/autoscaling/targetCPUUtilizationPercentage', 'maximum'],
    ['unknown top-level key', { replicas: 3 }, '', 'additionalProperties'],
    ['bad service.type', { service: { type: 'ExternalName' } }, '/service/type', 'enum'],
    ['privileged containerPort', { containerPort: 80 }, '/containerPort', 'minimum'],
    ['cpu quantity with a unit typo', { resources: { requests: { cpu: '500 m' } } }, '/resources/requests/cpu', null],
    ['memory quantity in GB', { resources: { limits: { memory: '2GB' } } }, '/resources/limits/memory', null],
    ['missing memory limit', { resources: { limits: { memory: null } } }, '/resources/limits', 'required'],
    ['probe path without a leading slash', { probes: { readinessPath: 'readyz' } }, '/probes/readinessPath', 'pattern'],
    ['root runAsUser', { securityContext: { runAsUser: 0 } }, '/securityContext/runAsUser', 'minimum'],
    ['workloadIdentityClientId not a GUID', { serviceAccount: { workloadIdentityClientId: 'my-identity' } }, '/serviceAccount/workloadIdentityClientId', 'pattern'],
    ['podLabels overriding a selector label', { podLabels: { 'app.kubernetes.io/name': 'other' } }, '/podLabels', 'propertyNames'],
    ['ingress enabled without host', { ingress: { enabled: true } }, '/ingress/host', 'minLength'],
    ['env entry without value', { env: [{ name: 'A' }] }, '/env/0', 'required'],
    ['negative PDB minAvailable', { podDisruptionBudget: { minAvailable: -1 } }, '/podDisruptionBudget/minAvailable', null],
    ['a namespace label set that matches every namespace', { networkPolicy: { ingressNamespaces: [{}] } }, '/networkPolicy/ingressNamespaces/0', 'minProperties'],
    ['a namespace label value that is not a label value', { networkPolicy: { ingressNamespaces: [{ team: 'a b' }] } }, '/networkPolicy/ingressNamespaces/0/team', 'pattern'],
    ['an ingress CIDR without a prefix length', { networkPolicy: { ingressCidrs: ['203.0.113.7'] } }, '/networkPolicy/ingressCidrs/0', 'anyOf'],
    ['an ingress CIDR with a bad octet', { networkPolicy: { ingressCidrs: ['203.0.113.256/32'] } }, '/networkPolicy/ingressCidrs/0', 'anyOf'],
    ['egress TCP port 0', { networkPolicy: { egress: { tcpPorts: [0] } } }, '/networkPolicy/egress/tcpPorts/0', 'minimum'],
    ['egress TCP port as text', { networkPolicy: { egress: { tcpPorts: ['https'] } } }, '/networkPolicy/egress/tcpPorts/0', 'type'],
    ['unknown networkPolicy key', { networkPolicy: { podSelector: {} } }, '/networkPolicy', 'additionalProperties'],
    ['unknown egress key', { networkPolicy: { egress: { cidrs: ['0.0.0.0/0'] } } }, '/networkPolicy/egress', 'additionalProperties'],
    ['networkPolicy.enabled as text', { networkPolicy: { enabled: 'true' } }, '/networkPolicy/enabled', 'type'],
  ])('rejects %s', (_name, override, instancePath, keyword) => {
    const errors = errorsOf(withOverride(override));
    const hits = errors.filter((e) => e.instancePath === instancePath && (keyword === null || e.keyword === keyword));
    if (hits.length === 0) throw new Error(`expected an error at "${instancePath}"${keyword ? ` (${keyword})` : ''}, got:\n${describeErrors(errors) || '(valid)'}`);
    if (instancePath === '') expect(hits.map((e) => e.params.additionalProperty)).toContain('replicas');
  });

  it('enforces maxReplicas >= minReplicas for every minReplicas up to the documented cap', () => {
    const clauses = (at(schema, 'properties.autoscaling') as JsonObject).allOf as Json[];
    const cap = at(schema, 'properties.autoscaling.properties.minReplicas.maximum') as number;
    expect(cap).toBe(100);
    // The committed clauses are exactly: for n in 2..cap, if minReplicas >= n then maxReplicas >= n.
    const expected = Array.from({ length: cap - 1 }, (_v, i) => i + 2).map((n) => ({
      if: { properties: { minReplicas: { minimum: n } }, required: ['minReplicas'] },
      then: { properties: { maxReplicas: { minimum: n } } },
    }));
    expect(clauses).toStrictEqual(expected);

    const failures: string[] = [];
    for (let min = 1; min <= cap; min++) {
      for (const max of [min - 1, min, min + 1, 1000]) {
        if (max < 1) continue;
        const ok = validate(withOverride({ autoscaling: { minReplicas: min, maxReplicas: max } }));
        if (ok !== max >= min) failures.push(`min=${min} max=${max}: ${ok ? 'accepted' : 'rejected'}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('templates', () => {
  it('contain the expected files', () => {
    expect(templateFiles).toEqual(
      expect.arrayContaining(['_helpers.tpl', 'deployment.yaml', 'service.yaml', 'serviceaccount.yaml', 'hpa.yaml', 'pdb.yaml', 'ingress.yaml', 'networkpolicy.yaml']),
    );
  });

  it('have balanced actions and control blocks', () => {
    const problems: string[] = [];
    for (const [file, text] of Object.entries(templates)) {
      const withoutComments = text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '');
      if ((withoutComments.match(/\{\{/g) ?? []).length !== (withoutComments.match(/\}\}/g) ?? []).length) {
        problems.push(`${file}: unbalanced {{ }}`);
        continue;
      }
      let depth = 0;
      for (const [, action] of withoutComments.matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/g)) {
        const word = action!.split(/\s+/)[0];
        if (['if', 'with', 'range', 'define', 'block'].includes(word!)) depth++;
        else if (word === 'end') depth--;
        else if (word === 'else' && depth < 1) problems.push(`${file}: else outside a block`);
        if (depth < 0) problems.push(`${file}: end without a block`);
      }
      if (depth !== 0) problems.push(`${file}: ${depth} unclosed block(s)`);
    }
    expect(problems).toEqual([]);
  });

  it('only reference .Values paths that exist in values.yaml, and use every value', () => {
    const refs = new Set<string>();
    const bare: string[] = [];
    for (const [file, text] of Object.entries(templates)) {
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g)) {
        if (m[1] === '') bare.push(`${file}: ${text.slice(m.index, m.index + 40)}`);
        else refs.add(m[1]!.slice(1));
      }
    }
    // Bare .Values (e.g. index .Values "x") would escape this check.
    expect(bare).toEqual([]);
    const missing = [...refs].filter((ref) => at(defaults, ref) === undefined).sort();
    expect(missing).toEqual([]);

    const leaves: string[] = [];
    const collect = (node: Json, prefix: string): void => {
      if (isObject(node) && Object.keys(node).length > 0) {
        for (const [k, v] of Object.entries(node)) collect(v, prefix ? `${prefix}.${k}` : k);
      } else leaves.push(prefix);
    };
    collect(defaults, '');
    const unused = leaves.filter((leaf) => ![...refs].some((ref) => leaf === ref || leaf.startsWith(`${ref}.`)));
    expect(unused).toEqual([]);
  });

  it('only include defined helpers, including name/fullname/labels/selectorLabels', () => {
    const defined = new Set([...Object.values(templates).join('\n').matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]));
    expect([...defined]).toEqual(expect.arrayContaining(['ai-app.name', 'ai-app.fullname', 'ai-app.labels', 'ai-app.selectorLabels']));
    const used = [...Object.values(templates).join('\n').matchAll(/include\s+"([^"]+)"/g)].map((m) => m[1]);
    expect(used.filter((name) => !defined.has(name))).toEqual([]);
  });

  it('label helpers: selector labels are name+instance only, standard labels add version/managed-by/chart', () => {
    const helpers = templates['_helpers.tpl']!;
    const body = (name: string): string => {
      const m = helpers.match(new RegExp(`define "${name.replace('.', '\\.')}" -\\}\\}([\\s\\S]*?)\\{\\{- end \\}\\}`));
      if (!m) throw new Error(`helper ${name} not found`);
      return m[1]!;
    };
    const keys = (text: string): string[] => [...text.matchAll(/^([\w./-]+):/gm)].map((m) => m[1]!);
    expect(keys(body('ai-app.selectorLabels'))).toEqual(['app.kubernetes.io/name', 'app.kubernetes.io/instance']);
    const labels = body('ai-app.labels');
    expect(labels).toContain('include "ai-app.selectorLabels" .');
    expect(keys(labels)).toEqual(['app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart']);
  });

  it('each manifest template has the expected apiVersion and kind', () => {
    const kinds = Object.fromEntries(
      ['deployment.yaml', 'service.yaml', 'serviceaccount.yaml', 'hpa.yaml', 'pdb.yaml', 'ingress.yaml', 'networkpolicy.yaml'].map((f) => {
        const doc = skeleton(f);
        return [f, `${String(doc.apiVersion)} ${String(doc.kind)}`];
      }),
    );
    expect(kinds).toEqual({
      'deployment.yaml': 'apps/v1 Deployment',
      'service.yaml': 'v1 Service',
      'serviceaccount.yaml': 'v1 ServiceAccount',
      'hpa.yaml': 'autoscaling/v2 HorizontalPodAutoscaler',
      'pdb.yaml': 'policy/v1 PodDisruptionBudget',
      'ingress.yaml': 'networking.k8s.io/v1 Ingress',
      'networkpolicy.yaml': 'networking.k8s.io/v1 NetworkPolicy',
    });
  });

  describe('deployment.yaml', () => {
    const deployment = skeleton('deployment.yaml');
    const pod = at(deployment, 'spec.template.spec') as JsonObject;
    const containers = pod.containers as JsonObject[];
    const container = containers[0]!;

    it('hardens the pod security context', () => {
      expect(pod.securityContext).toStrictEqual({
        runAsNonRoot: true,
        runAsUser: '{{ .Values.securityContext.runAsUser }}',
        runAsGroup: '{{ .Values.securityContext.runAsGroup }}',
        fsGroup: '{{ .Values.securityContext.runAsGroup }}',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(templates['deployment.yaml']).not.toMatch(/privileged|hostNetwork|hostPID|hostIPC|hostPath/);
    });

    it('hardens the container security context', () => {
      expect(containers).toHaveLength(1);
      expect(container.securityContext).toStrictEqual({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    });

    it('mounts an emptyDir at /tmp', () => {
      expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    });

    it('probes /healthz and /readyz (from values) on the container port', () => {
      expect(container.ports).toEqual([{ name: 'http', containerPort: '{{ .Values.containerPort }}', protocol: 'TCP' }]);
      expect(at(container, 'livenessProbe.httpGet')).toEqual({ path: '{{ .Values.probes.livenessPath | quote }}', port: 'http' });
      expect(at(container, 'readinessProbe.httpGet')).toEqual({ path: '{{ .Values.probes.readinessPath | quote }}', port: 'http' });
      expect(container.resources).toBeNull(); // filled by the toYaml line below
      expect(templates['deployment.yaml']).toMatch(/resources:\n\s*\{\{- toYaml \.Values\.resources \| nindent 12 \}\}/);
    });

    it('uses the immutable image reference and the ServiceAccount', () => {
      expect(container.image).toBe('{{ include "ai-app.image" . | quote }}');
      // By digest when one is set, else by tag.
      expect(templates['_helpers.tpl']).toMatch(
        /define "ai-app\.image" -\}\}\n\{\{- if \.Values\.image\.digest \}\}\n\{\{- printf "%s@%s" \.Values\.image\.repository \.Values\.image\.digest \}\}\n\{\{- else \}\}\n\{\{- printf "%s:%s" \.Values\.image\.repository \(toString \.Values\.image\.tag\) \}\}\n\{\{- end \}\}/,
      );
      expect(pod.serviceAccountName).toBe('{{ include "ai-app.serviceAccountName" . }}');
      expect(at(deployment, 'spec.selector.matchLabels')).toBeNull(); // selectorLabels include
      expect(templates['deployment.yaml']).toMatch(/matchLabels:\n\s*\{\{- include "ai-app\.selectorLabels" \. \| nindent 6 \}\}/);
    });

    it('mounts no API token in the pod or through the ServiceAccount (Checkov CKV_K8S_38)', () => {
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(skeleton('serviceaccount.yaml').automountServiceAccountToken).toBe(false);
    });

    it('labels the pod for Azure Workload Identity', () => {
      expect(at(deployment, 'spec.template.metadata.labels')).toEqual({ 'azure.workload.identity/use': 'true' });
      expect(templates['deployment.yaml']).toMatch(/^ {8}azure\.workload\.identity\/use: "true"$/m);
    });

    it('omits replicas when autoscaling is enabled', () => {
      expect(templates['deployment.yaml']).toMatch(
        /\{\{- if not \.Values\.autoscaling\.enabled \}\}\n\s*replicas: \{\{ \.Values\.replicaCount \}\}\n\s*\{\{- end \}\}/,
      );
    });

    it('runs the render-time guards', () => {
      expect(templates['deployment.yaml']!.split('\n')[0]).toBe('{{- include "ai-app.validate" . }}');
    });
  });

  it('fail on an empty or latest image tag and on maxReplicas < minReplicas', () => {
    const helpers = templates['_helpers.tpl']!;
    const validateBody = helpers.slice(helpers.indexOf('define "ai-app.validate"'));
    expect(validateBody).toMatch(/if not \$tag \}\}\n\{\{- fail "image\.tag is required/);
    expect(validateBody).toMatch(/if eq \(lower \$tag\) "latest" \}\}\n\{\{- fail "image\.tag must not be \\"latest\\"/);
    expect(validateBody).toMatch(/if lt \(int \.Values\.autoscaling\.maxReplicas\) \(int \.Values\.autoscaling\.minReplicas\) \}\}\n\{\{- fail /);
    expect(validateBody).toMatch(/fail "image\.repository is required/);
    expect(validateBody).toContain('{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" (toString .)) }}\n{{- fail (printf "image.digest %q is not a digest');
  });

  it('annotate the ServiceAccount with the workload identity client ID only when it is set', () => {
    const sa = templates['serviceaccount.yaml']!;
    expect(sa).toMatch(
      /\{\{- with \.Values\.serviceAccount\.workloadIdentityClientId \}\}\n\s*azure\.workload\.identity\/client-id: \{\{ \. \| quote \}\}\n\s*\{\{- end \}\}/,
    );
    expect(skeleton('serviceaccount.yaml').metadata).toMatchObject({ name: '{{ include "ai-app.serviceAccountName" . }}' });
  });

  it('scale on CPU utilization with the HPA only when autoscaling is enabled', () => {
    expect(templates['hpa.yaml']!.split('\n')[0]).toBe('{{- if .Values.autoscaling.enabled }}');
    const hpa = skeleton('hpa.yaml');
    expect(hpa.spec).toStrictEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: '{{ include "ai-app.fullname" . }}' },
      minReplicas: '{{ .Values.autoscaling.minReplicas }}',
      maxReplicas: '{{ .Values.autoscaling.maxReplicas }}',
      metrics: [{
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: '{{ .Values.autoscaling.targetCPUUtilizationPercentage }}' } },
      }],
    });
  });

  it('gate the NetworkPolicy on its flag; it selects the pods by their selector labels, ingress to the http port only', () => {
    expect(templates['networkpolicy.yaml']!.split('\n')[0]).toBe('{{- if .Values.networkPolicy.enabled }}');
    const policy = skeleton('networkpolicy.yaml');
    expect(templates['networkpolicy.yaml']).toMatch(/podSelector:\n\s*matchLabels:\n\s*\{\{- include "ai-app\.selectorLabels" \. \| nindent 6 \}\}/);
    expect(at(policy, 'spec.policyTypes')).toEqual(['Ingress', 'Egress']);
    const ingress = at(policy, 'spec.ingress') as JsonObject[];
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });

  it('gate the PodDisruptionBudget and the Ingress on their enabled flags', () => {
    expect(templates['pdb.yaml']!.split('\n')[0]).toBe('{{- if .Values.podDisruptionBudget.enabled }}');
    expect(templates['ingress.yaml']!.split('\n')[0]).toBe('{{- if .Values.ingress.enabled }}');
    const ingress = skeleton('ingress.yaml');
    expect(at(ingress, 'spec.rules')).toEqual([{
      host: '{{ $host | quote }}',
      http: { paths: [{ path: '{{ .Values.ingress.path | quote }}', pathType: 'Prefix', backend: { service: { name: '{{ include "ai-app.fullname" . }}', port: { name: 'http' } } } }] },
    }]);
  });
});

describe('rendered by helm template', () => {
  const values: JsonObject = { ...MINIMAL_OVERRIDE, serviceAccount: { workloadIdentityClientId: CLIENT_ID } };

  withHelm('mounts no Kubernetes API token (Checkov CKV_K8S_38), and the pod still opts in to Azure Workload Identity', () => {
    const { status, stderr, objects } = helmTemplate(values);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const deployment = objectOf(objects, 'Deployment');
    const serviceAccount = objectOf(objects, 'ServiceAccount');
    expect(at(deployment, 'spec.template.spec.automountServiceAccountToken')).toBe(false);
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
    // The webhook injects its projected token for pods with this label whose ServiceAccount has the client ID.
    expect(at(deployment, 'spec.template.metadata.labels')).toMatchObject({ 'azure.workload.identity/use': 'true' });
    expect(at(deployment, 'spec.template.spec.serviceAccountName')).toBe('ai-app');
    expect(at(serviceAccount, 'metadata.annotations')).toEqual({ 'azure.workload.identity/client-id': CLIENT_ID });
  });

  withHelm('a NetworkPolicy selects exactly the pods (Checkov CKV2_K8S_6): ingress to the http port from this namespace and the ingress controller\'s, egress DNS and HTTPS', () => {
    const { objects } = helmTemplate(values);
    const policy = objectOf(objects, 'NetworkPolicy');
    const podLabels = at(objectOf(objects, 'Deployment'), 'spec.template.metadata.labels') as JsonObject;
    const selector = at(policy, 'spec.podSelector.matchLabels') as JsonObject;
    expect(selector).toEqual(at(objectOf(objects, 'Deployment'), 'spec.selector.matchLabels'));
    expect(podLabels).toMatchObject(selector);
    // "http" is the container's port name, so the rule follows containerPort.
    const containers = at(objectOf(objects, 'Deployment'), 'spec.template.spec.containers') as JsonObject[];
    expect(containers[0]!.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{
        from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'app-routing-system' } } }],
        ports: [{ port: 'http', protocol: 'TCP' }],
      }],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        },
        { ports: [{ port: 443, protocol: 'TCP' }] },
      ],
    });
  });

  withHelm('NetworkPolicy options: more namespaces and CIDRs in; egress all, or none; or no policy', () => {
    const custom = helmTemplate({ ...values, networkPolicy: {
      ingressNamespaces: [{ 'kubernetes.io/metadata.name': 'app-routing-system' }, { 'kubernetes.io/metadata.name': 'monitoring' }],
      ingressCidrs: ['203.0.113.0/24'],
      egress: { tcpPorts: [443, 5432] },
    } }).objects;
    expect(at(objectOf(custom, 'NetworkPolicy'), 'spec.ingress')).toEqual([{
      from: [
        { podSelector: {} },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'app-routing-system' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        { ipBlock: { cidr: '203.0.113.0/24' } },
      ],
      ports: [{ port: 'http', protocol: 'TCP' }],
    }]);
    expect((at(objectOf(custom, 'NetworkPolicy'), 'spec.egress') as JsonObject[])[1]).toEqual({ ports: [{ port: 443, protocol: 'TCP' }, { port: 5432, protocol: 'TCP' }] });

    const all = helmTemplate({ ...values, networkPolicy: { egress: { allowAll: true } } }).objects;
    expect(at(objectOf(all, 'NetworkPolicy'), 'spec.egress')).toEqual([{}]);
    // No rule at all: with Egress in policyTypes, no connection out is allowed.
    const none = helmTemplate({ ...values, networkPolicy: { ingressNamespaces: [], egress: { dns: false, tcpPorts: [] } } }).objects;
    expect(at(objectOf(none, 'NetworkPolicy'), 'spec.egress') ?? []).toEqual([]);
    expect((at(objectOf(none, 'NetworkPolicy'), 'spec.ingress') as JsonObject[])[0]!.from).toEqual([{ podSelector: {} }]);

    expect(helmTemplate({ ...values, networkPolicy: { enabled: false } }).objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  withHelm('with image.digest, the image is repository@sha256:... (Checkov CKV_K8S_43) and the tag stays as the version label', () => {
    const { status, stderr, objects } = helmTemplate({ ...values, image: { repository: 'example.azurecr.io/ai-app', tag: '0123abc', digest: DIGEST } });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const deployment = objectOf(objects, 'Deployment');
    const containers = at(deployment, 'spec.template.spec.containers') as JsonObject[];
    expect(containers.map((c) => c.image)).toEqual([`example.azurecr.io/ai-app@${DIGEST}`]);
    expect(at(deployment, 'spec.template.metadata.labels')).toMatchObject({ 'app.kubernetes.io/version': '0123abc' });
    expect(at(deployment, 'metadata.labels')).toMatchObject({ 'app.kubernetes.io/version': '0123abc' });
  });

  withHelm('without a digest, the image is repository:tag', () => {
    const containers = at(objectOf(helmTemplate(values).objects, 'Deployment'), 'spec.template.spec.containers') as JsonObject[];
    expect(containers.map((c) => c.image)).toEqual(['example.azurecr.io/ai-app:0123abc']);
  });

  withHelm('Helm refuses a malformed digest through the schema, and the template guard refuses it without the schema', () => {
    // The schema's pattern on each kind of malformed digest, in-process; Helm applying that schema, on one of them.
    const malformed = ['sha256:abc', `sha256:${DIGEST_HEX.toUpperCase()}`, DIGEST_HEX, `sha512:${DIGEST_HEX}`];
    for (const digest of malformed) {
      // Merged over values.yaml, as Helm merges before it validates.
      expect(validate(helmMerge(defaults, { ...values, image: { ...(values.image as JsonObject), digest } }))).toBe(false);
      const errors = validate.errors?.map((e) => `${e.instancePath} ${e.message}`) ?? [];
      expect(errors).toContain('/image/digest must match pattern "^sha256:[a-f0-9]{64}$"');
      expect(errors.filter((e) => !e.startsWith('/image/digest '))).toEqual([]);
    }
    const run = helmTemplate({ ...values, image: { ...(values.image as JsonObject), digest: malformed[1] } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("image.digest: Does not match pattern '^sha256:[a-f0-9]{64}$'");
    expect(run.stderr).not.toMatch(/image\.(repository|tag)/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-'));
    try {
      fs.writeFileSync(path.join(dir, 'values.yaml'), stringify({ ...values, image: { ...(values.image as JsonObject), digest: 'sha256:abc' } }));
      const run = spawnSync(HELM!, ['template', 'ai-app', CHART_DIR, '--skip-schema-validation', '--values', path.join(dir, 'values.yaml')], { encoding: 'utf8' });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('image.digest "sha256:abc" is not a digest');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  withHelm('pulls the image on every pod start (Checkov CKV_K8S_15)', () => {
    const containers = at(objectOf(helmTemplate(values).objects, 'Deployment'), 'spec.template.spec.containers') as JsonObject[];
    expect(containers.map((c) => c.imagePullPolicy)).toEqual(['Always']);
  });
});
