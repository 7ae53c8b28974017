import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { EnvironmentName, config as shipped } from '../stacks/environments';
import { TfJson, config, only, resources, synthesizedApp } from './helpers';

const ROOT = join(__dirname, '..');
const DIGEST = 'sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
/** charts/ai-app/values.schema.json, compiled on first use, once for the file (each compile takes ~0.1 s). */
let compiledSchema: ValidateFunction | undefined;
const chartSchema = (): ValidateFunction =>
  (compiledSchema ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'charts/ai-app/values.schema.json'), 'utf8'))));
let outdir: string;
let shippedOutdir: string;
const read = (dir: string, name: string): TfJson => JSON.parse(readFileSync(join(dir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as TfJson;
const stack = (name: string): TfJson => read(outdir, name);

beforeAll(() => {
  // The tests' own configuration for behaviour; the shipped one for the snapshots (the plans a pull request reviews).
  outdir = synthesizedApp('fixture');
  shippedOutdir = synthesizedApp('shipped');
});

/** The remote-state expression through which workload-<env> reads one of platform-<env>'s outputs. */
function remoteOutput(env: EnvironmentName, platformAddress: string): string {
  const platform = stack(`platform-${env}`);
  const [name] = Object.entries(platform.output ?? {}).find(([n, o]) => n.startsWith('cross-stack-output-') && o.value === `\${${platformAddress}}`) ?? [];
  if (!name) throw new Error(`platform-${env} has no output for ${platformAddress}`);
  expect(platform.output?.[name].sensitive).toBe(true);
  return `data.terraform_remote_state.cross-stack-reference-input-platform-${env}.outputs.${name}`;
}
const address = (tf: TfJson, type: string, match: (r: Record<string, unknown>) => boolean = () => true) =>
  `${type}.${Object.entries(resources(tf, type)).find(([, r]) => match(r))?.[0]}`;
/** Environments whose releases are pushed (GitOps environments have no workload stack; see gitops.test.ts). */
const ENVIRONMENT_NAMES = Object.keys(config.environments).filter((name) => config.environments[name].delivery === 'push');
const SHIPPED_PUSH = Object.keys(shipped.environments).filter((name) => shipped.environments[name].delivery === 'push');
/** `workload-<env>-<app>` of the environment's (first) application, in a configuration. */
const workloadOf = (env: EnvironmentName, cfg = config) => `workload-${env}-${cfg.environments[env].applications[0].name}`;
const releaseValues = (env: EnvironmentName) => parse((only(stack(workloadOf(env)), 'helm_release').values as string[])[0]);

describe.each(SHIPPED_PUSH)('shipped workload-%s', (env) => {
  test('matches the committed snapshot', () => {
    expect(read(shippedOutdir, workloadOf(env, shipped))).toMatchSnapshot();
  });
});

test('only push environments have workload stacks', () => {
  const stacks = readdirSync(join(outdir, 'stacks'));
  for (const [name, e] of Object.entries(config.environments)) {
    expect({ name, workload: stacks.includes(workloadOf(name)) }).toEqual({ name, workload: e.delivery === 'push' });
  }
});

describe.each(ENVIRONMENT_NAMES)('workload-%s', (env) => {
  const e = config.environments[env];
  const a = e.applications[0];

  test('its own state key, next to the platform stack', () => {
    expect((stack(workloadOf(env)).terraform as { backend: { azurerm: { key: string; container_name: string } } }).backend.azurerm).toMatchObject({
      key: `${workloadOf(env)}.tfstate`,
      container_name: e.stateContainerName,
    });
  });

  test('reads the platform stack\'s state through a remote-state data source', () => {
    expect(stack(workloadOf(env)).data?.terraform_remote_state?.[`cross-stack-reference-input-platform-${env}`]).toEqual({
      backend: 'azurerm',
      config: expect.objectContaining({ key: `platform-${env}.tfstate`, container_name: e.stateContainerName, use_azuread_auth: true }),
      workspace: '${terraform.workspace}',
    });
  });

  test('the helm provider uses the cluster endpoint and CA from platform outputs, and kubelogin for tokens', () => {
    const cluster = address(stack(`platform-${env}`), 'azurerm_kubernetes_cluster');
    expect(stack(workloadOf(env)).provider?.helm).toEqual([
      {
        kubernetes: {
          host: `\${${remoteOutput(env, `${cluster}.kube_config[0].host`)}}`,
          cluster_ca_certificate: `\${base64decode(${remoteOutput(env, `${cluster}.kube_config[0].cluster_ca_certificate`)})}`,
          exec: {
            api_version: 'client.authentication.k8s.io/v1beta1',
            command: 'kubelogin',
            args: ['get-token', '--login', 'azurecli', '--server-id', '6dae42f8-4368-4678-94ff-3960e28e3630'],
          },
        },
      },
    ]);
  });

  test('the release values, field by field', () => {
    const platform = stack(`platform-${env}`);
    const registry = address(platform, 'azurerm_container_registry');
    const appIdentity = address(platform, 'azurerm_user_assigned_identity', (r) => r.name === `id-${a.name}-${env}`);
    expect(releaseValues(env)).toEqual({
      replicaCount: a.replicaCount,
      serviceAccount: { name: a.serviceAccountName, workloadIdentityClientId: `\${${remoteOutput(env, `${appIdentity}.client_id`)}}` },
      resources: { requests: { ...a.resources.requests }, limits: { ...a.resources.limits } },
      autoscaling: { enabled: true, ...a.autoscaling },
      podDisruptionBudget: { ...a.podDisruptionBudget },
      image: { repository: `\${${remoteOutput(env, `${registry}.login_server`)}}/${a.imageName}`, tag: '${var.image_tag}', digest: '${var.image_digest}' },
    });
  });

  test('the release does not create its namespace: the deploy identity may not, the infrastructure workflow does', () => {
    expect(only(stack(workloadOf(env)), 'helm_release').create_namespace).toBe(false);
  });

  test('the release namespace is the one the deploy identity may write to', () => {
    const writer = Object.values(resources(stack(`platform-${env}`), 'azurerm_role_assignment')).find((a) => a.role_definition_name === 'Azure Kubernetes Service RBAC Writer');
    expect(String(writer?.scope)).toMatch(new RegExp(`/namespaces/${only(stack(workloadOf(env)), 'helm_release').namespace}$`));
  });

  test('the app identity trusts the release ServiceAccount on the cluster issuer', () => {
    const platform = stack(`platform-${env}`);
    const cred = Object.values(resources(platform, 'azurerm_federated_identity_credential')).find((c) => String(c.subject).startsWith('system:serviceaccount:'));
    expect(cred).toMatchObject({
      subject: `system:serviceaccount:${a.namespace}:${a.serviceAccountName}`,
      issuer: `\${${address(platform, 'azurerm_kubernetes_cluster')}.oidc_issuer_url}`,
    });
  });

  test('the environment values, with Helm\'s defaults merged in, validate against values.schema.json', () => {
    const defaults = parse(readFileSync(join(ROOT, 'charts/ai-app/values.yaml'), 'utf8'));
    const deployed = JSON.parse(
      JSON.stringify(releaseValues(env))
        .replace('"${var.image_tag}"', '"3f2c1ab"')
        .replace('"${var.image_digest}"', `"${DIGEST}"`)
        .replace(/\$\{data\.terraform_remote_state[^}]*login_server\}/, 'acrexample.azurecr.io')
        .replace(/\$\{data\.terraform_remote_state[^}]*client_id\}/, '00000000-0000-0000-0000-000000000001'),
    );
    const merged = deepMerge(defaults, deployed);
    const validate = chartSchema();
    expect(validate(merged) ? [] : validate.errors).toEqual([]);
  });
});

test('workload-<env> is declared to depend on platform-<env>, so cdktf deploys platform first', () => {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
  for (const env of ENVIRONMENT_NAMES) expect(manifest.stacks[workloadOf(env)].dependencies).toEqual([`platform-${env}`]);
});

test('image_tag is a required Terraform variable whose validation refuses latest and empty tags', () => {
  const variable = stack(workloadOf(ENVIRONMENT_NAMES[0])).variable?.image_tag as { type: string; nullable: boolean; default?: unknown; validation: Array<{ condition: string }> };
  expect(variable).toMatchObject({ type: 'string', nullable: false });
  expect(variable.default).toBeUndefined();
  expect(variable.validation[0].condition).toBe('${can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && lower(var.image_tag) != "latest"}');
});

test('image_digest is a required Terraform variable whose validation accepts only sha256:<64 hex>, the AppRelease rule', () => {
  for (const env of ENVIRONMENT_NAMES) {
    const variable = stack(workloadOf(env)).variable?.image_digest as { type: string; nullable: boolean; default?: unknown; validation: Array<{ condition: string; error_message: string }> };
    expect(variable).toMatchObject({ type: 'string', nullable: false });
    expect(variable.default).toBeUndefined();
    expect(variable.validation).toEqual([{
      condition: '${can(regex("^sha256:[a-f0-9]{64}$", var.image_digest))}',
      error_message: 'image_digest must be the pushed image\'s digest: sha256: followed by 64 lowercase hex digits.',
    }]);
  }
});

const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
(terraform ? test : test.skip)('Terraform itself enforces the image_tag and image_digest validations (terraform plan on the variables alone, offline)', () => {
  // The root module declares the two variables as the stack does; every further case is a call of a module that
  // declares them the same way, so one plan evaluates every value's validation (one error per failing module call).
  const dir = mkdtempSync(join(tmpdir(), 'tfvar-'));
  try {
    const { image_tag, image_digest } = stack(workloadOf(ENVIRONMENT_NAMES[0])).variable ?? {};
    const variables = { variable: { image_tag, image_digest } };
    mkdirSync(join(dir, 'vars'));
    writeFileSync(join(dir, 'vars', 'main.tf.json'), JSON.stringify(variables));
    const root = (calls: Record<string, { tag: string; digest: string }>) => {
      const module = Object.fromEntries(Object.entries(calls).map(([name, c]) => [name, { source: './vars', image_tag: c.tag, image_digest: c.digest }]));
      writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ ...variables, output: { image: { value: '${var.image_tag}@${var.image_digest}' } }, ...(Object.keys(module).length > 0 ? { module } : {}) }));
    };
    const tf = (...args: string[]) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
    const plan = (tag: string, digest = DIGEST) => tf('plan', '-input=false', '-lock=false', '-no-color', `-var=image_tag=${tag}`, `-var=image_digest=${digest}`);
    const TAG_ERROR = (image_tag as { validation: Array<{ error_message: string }> }).validation[0].error_message;
    const DIGEST_ERROR = (image_digest as { validation: Array<{ error_message: string }> }).validation[0].error_message;
    /**
     * A plan's errors, each as `<module call or (root)>: <the validation's error message>`. Terraform wraps the
     * message; it follows the quoted source and the value (`│ var.image_tag is ...`).
     */
    const failures = (stderr: string) =>
      stderr.split(/^Error: /m).slice(1).map((block) => {
        const message = block.slice(block.lastIndexOf('│') + 1).replace(/\s+/g, ' ');
        return `${/ in module\.(\w+):/.exec(block)?.[1] ?? '(root)'}: ${[TAG_ERROR, DIGEST_ERROR].find((m) => message.includes(m)) ?? block}`;
      }).sort();

    const goodTags = ['3f2c1ab', '0123456789abcdef0123456789abcdef01234567', 'v1.2.3'];
    const badTags = ['latest', 'LATEST', '', 'a b', '-x'];
    const badDigests = ['', 'sha256:abc', DIGEST.toUpperCase(), DIGEST.replace('sha256', 'SHA256'), DIGEST.slice(7), `sha512:${DIGEST.slice(7)}`, `${DIGEST}0`, `acr.azurecr.io/ai-app@${DIGEST}`, ` ${DIGEST}`];
    // One plan for every value: the first good one through -var on the root module, as the workflows pass them; the
    // others as module calls, the good ones beside the bad. Every bad one is refused, each by its own variable's
    // validation, and nothing else is.
    root({
      ...Object.fromEntries(goodTags.slice(1).map((tag, i) => [`good_${i}`, { tag, digest: DIGEST }])),
      ...Object.fromEntries(badTags.map((tag, i) => [`tag_${i}`, { tag, digest: DIGEST }])),
      ...Object.fromEntries(badDigests.map((digest, i) => [`digest_${i}`, { tag: '3f2c1ab', digest }])),
    });
    expect(tf('init', '-input=false', '-backend=false').status).toBe(0);
    const all = plan(goodTags[0]);
    expect(all.status).toBe(1);
    expect(failures(all.stderr)).toEqual([...badTags.map((_, i) => `tag_${i}: ${TAG_ERROR}`), ...badDigests.map((_, i) => `digest_${i}: ${DIGEST_ERROR}`)].sort());

    // And through -var on the root module alone: good values plan, bad ones fail both validations in one plan.
    root({});
    const good = plan(goodTags[0]);
    expect({ status: good.status, errors: failures(good.stderr) }).toEqual({ status: 0, errors: [] });
    const badRoot = plan('latest', 'sha256:abc');
    expect({ status: badRoot.status, errors: failures(badRoot.stderr) }).toEqual({ status: 1, errors: [`(root): ${DIGEST_ERROR}`, `(root): ${TAG_ERROR}`].sort() });

    // Required: without the variable, a non-interactive plan fails.
    const missing = tf('plan', '-input=false', '-lock=false', '-var=image_tag=3f2c1ab');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/No value for required variable[\s\S]*image_digest/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}
