/**
 * The admission policy per environment: a push environment gets `platform-<env>-admission` (Kyverno and the image
 * policy through Terraform), a GitOps environment the same two releases through Flux, with the same values.
 */
import { Testing } from 'cdktf';
import { parse, parseAllDocuments } from 'yaml';
import { KYVERNO_CHART, KYVERNO_NAMESPACE } from '../constructs/image-admission';
import type { PlatformConfig } from '../stacks/environments';
import { buildStacks } from '../stacks/app';
import { AKS_AAD_SERVER_ID } from '../stacks/plumbing';
import { gitopsManifests } from '../stacks/gitops-manifests';
import { TfJson, config, configCopy, resources, synthStack, synthesizedStacks } from './helpers';

const synthAll = (c: PlatformConfig): Record<string, TfJson> => Object.fromEntries(buildStacks(Testing.app(), c).map(({ stack }) => [stack.node.id, synthStack(stack)]));
// The tests' configuration as the app synthesizes it, once per run (synthesizedStacks).
const stacks = synthesizedStacks('fixture');
const releases = (tf: TfJson) => Object.values(resources(tf, 'helm_release'));
const signer = `https://github.com/${config.repository}/${config.supplyChain.workflow}@refs/heads/${config.supplyChain.branch}`;

describe.each(Object.entries(config.environments))('environment %s', (name, env) => {
  const stack = stacks[`platform-${name}-admission`];

  if (env.delivery === 'push') {
    test('platform-<env>-admission installs Kyverno, then the policy for every application namespace, in the environment\'s mode', () => {
      const [engine, policy] = releases(stack);
      expect(engine).toMatchObject({ name: 'kyverno', repository: KYVERNO_CHART.repository, chart: KYVERNO_CHART.chart, version: KYVERNO_CHART.version, namespace: KYVERNO_NAMESPACE });
      expect(policy).toMatchObject({ name: 'verify-image-signatures', namespace: KYVERNO_NAMESPACE });
      expect(policy.depends_on).toEqual([expect.stringMatching(/^helm_release\./)]);
      const values = parse((policy.values as string[])[0]);
      expect(values).toEqual({
        mode: env.imageVerification,
        namespaces: env.applications.map((a) => a.namespace),
        signer: { repository: config.repository, workflow: config.supplyChain.workflow, branch: config.supplyChain.branch },
        signatureFormat: 'sigstore-bundle',
      });
      expect(`https://github.com/${values.signer.repository}/${values.signer.workflow}@refs/heads/${values.signer.branch}`).toBe(signer);
    });

    test('Kyverno reads signatures as the kubelet identity, from platform-<env>\'s outputs', () => {
      const engine = parse((releases(stack)[0].values as string[])[0]);
      // A remote-state read of an output platform-<env> exports: its cluster's kubelet identity.
      const [env] = engine.admissionController.container.extraEnvVars as Array<{ name: string; value: string }>;
      expect(engine.admissionController.container.extraEnvVars).toEqual([{ name: 'AZURE_CLIENT_ID', value: expect.any(String) }]);
      const read = new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-platform-${name}\\.outputs\\.([\\w-]+)\\}$`).exec(env.value);
      expect(read).not.toBeNull();
      const [cluster] = Object.keys(resources(stacks[`platform-${name}`], 'azurerm_kubernetes_cluster'));
      expect(stacks[`platform-${name}`].output?.[read![1]]).toMatchObject({ value: `\${azurerm_kubernetes_cluster.${cluster}.kubelet_identity[0].client_id}`, sensitive: true });
      const helm = (stack.provider as Record<string, Array<{ kubernetes: { exec: { args: string[] } } }>>).helm[0];
      expect(helm.kubernetes.exec.args).toEqual(['get-token', '--login', 'azurecli', '--server-id', AKS_AAD_SERVER_ID]);
      expect((stack.terraform as { backend: { azurerm: { key: string } } }).backend.azurerm.key).toBe(`platform-${name}-admission.tfstate`);
    });
  } else {
    test('a GitOps environment has no admission stack: Flux installs the same releases with the same values', () => {
      expect(stack).toBeUndefined();
      const pushed = configCopy();
      pushed.environments[name].delivery = 'push';
      delete (pushed.environments[name] as { gitops?: unknown }).gitops;
      const tf = synthAll(pushed as PlatformConfig)[`platform-${name}-admission`];
      const [engine, policy] = releases(tf);
      const docs = parseAllDocuments(gitopsManifests(config).get(`deploy/${name}/platform/admission.yaml`)!).map((d) => d.toJS());
      const [repository, kyverno, policyRelease] = docs;
      expect(repository).toMatchObject({ kind: 'HelmRepository', spec: { url: engine.repository } });
      expect(kyverno.spec).toMatchObject({ targetNamespace: engine.namespace, timeout: `${engine.timeout}s`, chart: { spec: { chart: engine.chart, version: engine.version } } });
      expect(policyRelease.spec).toMatchObject({ targetNamespace: policy.namespace, timeout: `${policy.timeout}s`, dependsOn: [{ name: 'kyverno' }], chart: { spec: { chart: './charts/image-policy' } } });
      expect(policyRelease.spec.values).toEqual(parse((policy.values as string[])[0]));
      const kubelet = (values: { admissionController: { container: { extraEnvVars: { value: string }[] } } }) => values.admissionController.container.extraEnvVars[0].value;
      const withoutKubelet = (values: Record<string, unknown>) => JSON.parse(JSON.stringify(values).replace(/"value":"[^"]*"/, '"value":"<kubelet>"'));
      expect(withoutKubelet(kyverno.spec.values)).toEqual(withoutKubelet(parse((engine.values as string[])[0])));
      expect(kubelet(kyverno.spec.values)).toBe('${KUBELET_CLIENT_ID}');
    });
  }
});

test('an environment with no application gets no admission stack (there is nothing to guard)', () => {
  const c = configCopy();
  c.environments.dev.applications = [];
  // Which stacks there are is decided when they are built; nothing needs synthesizing.
  const names = buildStacks(Testing.app(), c as PlatformConfig).map(({ stack }) => stack.node.id);
  expect(names).toContain('platform-dev');
  expect(names).not.toContain('platform-dev-admission');
});
