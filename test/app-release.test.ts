import { join } from 'node:path';
import { TerraformVariable } from 'cdktf';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { AppRelease, AppReleaseProps, validateAppRelease } from '../constructs/app-release';
import { IMAGE_DIGEST_PATTERN } from '../constructs/names';
import { WorkloadIdentity, validateWorkloadIdentity } from '../constructs/workload-identity';
import { errorOf, only, ref, synthScope } from './helpers';
import { lines } from './problems';

const CHART = join(__dirname, '..', 'charts', 'ai-app');
const base: AppReleaseProps = {
  chartPath: CHART,
  releaseName: 'ai-app',
  namespace: 'production',
  image: { repository: 'acrexample.azurecr.io/ai-app', tag: '3f2c1ab' },
};
const DIGEST = 'sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
const release = (props: Partial<AppReleaseProps> = {}) =>
  only(synthScope((scope) => new AppRelease(scope, 'app', { ...base, ...props })), 'helm_release');

describe('AppRelease', () => {
  test('an atomic, self-cleaning, waiting release with a 10-minute timeout and bounded history', () => {
    expect(release()).toMatchObject({
      name: 'ai-app',
      namespace: 'production',
      atomic: true,
      cleanup_on_fail: true,
      wait: true,
      timeout: 600,
      max_history: 10,
      create_namespace: true,
    });
  });

  test('the chart is copied into the stack as an asset, so the synthesized stack is self-contained', () => {
    expect(release().chart).toMatch(/^assets\/app_chart_[0-9A-F]+\/[0-9A-F]+$/);
  });

  test('values are serialized YAML of a typed object, strings quoted so a numeric SHA stays a string', () => {
    const values = parse((release({ image: { repository: base.image.repository, tag: '0123456' }, values: { replicaCount: 3, resources: { requests: { cpu: '1', memory: '1Gi' } } } }).values as string[])[0]);
    expect(values).toEqual({
      replicaCount: 3,
      resources: { requests: { cpu: '1', memory: '1Gi' } },
      image: { repository: 'acrexample.azurecr.io/ai-app', tag: '0123456' },
    });
  });

  test('a token tag is passed through for Terraform to resolve', () => {
    const tf = synthScope((scope) => {
      const tag = new TerraformVariable(scope, 'image_tag', { type: 'string' });
      new AppRelease(scope, 'app', { ...base, image: { repository: base.image.repository, tag: tag.stringValue } });
    });
    expect(parse((only(tf, 'helm_release').values as string[])[0]).image.tag).toBe('${var.image_tag}');
  });

  test('a digest is passed to the chart next to the tag; without one the values have no digest key', () => {
    const image = { ...base.image, digest: DIGEST };
    expect(parse((release({ image }).values as string[])[0]).image).toEqual({ repository: 'acrexample.azurecr.io/ai-app', tag: '3f2c1ab', digest: DIGEST });
    expect(parse((release().values as string[])[0]).image).toEqual({ repository: 'acrexample.azurecr.io/ai-app', tag: '3f2c1ab' });
  });

  test('a token digest is passed through for Terraform to resolve (not validated at synth)', () => {
    const tf = synthScope((scope) => {
      const digest = new TerraformVariable(scope, 'image_digest', { type: 'string' });
      new AppRelease(scope, 'app', { ...base, image: { ...base.image, digest: digest.stringValue } });
    });
    expect(parse((only(tf, 'helm_release').values as string[])[0]).image.digest).toBe('${var.image_digest}');
  });

  test('the digest rule is the chart schema\'s', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
    expect(schema.properties.image.properties.digest.anyOf).toContainEqual({ pattern: IMAGE_DIGEST_PATTERN });
  });

  test('options: namespace creation, timeout, history', () => {
    expect(release({ createNamespace: false, timeoutSeconds: 300, maxHistory: 3 })).toMatchObject({ create_namespace: false, timeout: 300, max_history: 3 });
  });
});

describe('AppRelease validation', () => {
  const cases: Array<[string, Partial<AppReleaseProps>, string]> = [
    ['tag latest', { image: { repository: base.image.repository, tag: 'latest' } }, 'image.tag: "latest" is not allowed: 1-128 letters, digits, "_", "." or "-" (a git SHA such as 3f2c1ab), never "latest" or empty'],
    ['tag Latest', { image: { repository: base.image.repository, tag: 'Latest' } }, 'image.tag: "Latest" is not allowed'],
    ['empty tag', { image: { repository: base.image.repository, tag: '' } }, 'image.tag: "" is not allowed'],
    ['tag with a colon', { image: { repository: base.image.repository, tag: 'a:b' } }, 'image.tag: "a:b" is not allowed'],
    ['digest too short', { image: { ...base.image, digest: 'sha256:abc' } }, 'image.digest: "sha256:abc" is not allowed: "sha256:" and 64 lowercase hex digits'],
    ['digest in upper case', { image: { ...base.image, digest: DIGEST.replace('sha256', 'SHA256') } }, 'image.digest: "SHA256:2d711642b726b04401627ca9fbac32f5c8530fb1...'],
    ['digest without the algorithm', { image: { ...base.image, digest: DIGEST.slice(7) } }, 'image.digest: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4d..." (64 characters) is not allowed'],
    ['digest with the repository', { image: { ...base.image, digest: `acrexample.azurecr.io/ai-app@${DIGEST}` } }, 'image.digest: "acrexample.azurecr.io/ai-app@sha256:'],
    ['empty digest', { image: { ...base.image, digest: '' } }, 'image.digest: "" is not allowed'],
    ['repository with a tag', { image: { repository: 'acr.azurecr.io/app:v1', tag: 'v1' } }, 'image.repository: "acr.azurecr.io/app:v1" is not allowed: registry/name without a tag'],
    ['bad release name', { releaseName: 'AI_App' }, 'releaseName: "AI_App" is not allowed: 1-53 lowercase letters, digits or hyphens'],
    ['bad namespace', { namespace: 'Prod' }, 'namespace: "Prod" is not allowed: a Kubernetes namespace'],
    ['max below min', { values: { autoscaling: { minReplicas: 3, maxReplicas: 2 } } }, 'values.autoscaling.maxReplicas: must be at least minReplicas (3), got 2'],
    ['zero replicas', { values: { replicaCount: 0 } }, 'values.replicaCount: must be a whole number from 1 to 1000, got number 0'],
    ['bad cpu', { values: { resources: { limits: { cpu: '1 core', memory: '1Gi' } } } }, 'values.resources.limits.cpu: "1 core" is not allowed: a CPU quantity'],
    ['a chart path without Chart.yaml', { chartPath: __dirname }, `chartPath: ${JSON.stringify(__dirname)} is not a chart directory (it has no Chart.yaml)`],
    ['pod disruption budget as text', { values: { podDisruptionBudget: { enabled: 'yes' as unknown as boolean } } }, 'values.podDisruptionBudget.enabled: must be true or false, got "yes"'],
    ['client id that is not a GUID', { values: { serviceAccount: { workloadIdentityClientId: 'app' } } }, 'values.serviceAccount.workloadIdentityClientId: "app" is not allowed: empty or a GUID'],
    ['timeout too long', { timeoutSeconds: 7200 }, 'timeoutSeconds: must be a whole number from 60 to 3600, got number 7200'],
    ['a NetworkPolicy namespace label set that admits every namespace', { values: { networkPolicy: { ingressNamespaces: [{ team: 'web' }, {}] } } }, 'values.networkPolicy.ingressNamespaces[1]: an empty label set would admit every namespace'],
    ['a NetworkPolicy egress port out of range', { values: { networkPolicy: { egress: { tcpPorts: [443, 70000] } } } }, 'values.networkPolicy.egress.tcpPorts[1]: must be a whole number from 1 to 65535, got number 70000'],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(lines(validateAppRelease({ ...base, ...props })).join('\n')).toContain(message);
    expect(errorOf(() => release(props))).toContain(message);
  });

  test('a NetworkPolicy with namespaces, CIDRs and egress ports is accepted and passed to the chart', () => {
    const networkPolicy = { ingressNamespaces: [{ 'kubernetes.io/metadata.name': 'monitoring' }], ingressCidrs: ['203.0.113.0/24'], egress: { allowAll: false, dns: true, tcpPorts: [443, 5432] } };
    expect(validateAppRelease({ ...base, values: { networkPolicy } })).toEqual([]);
    expect(parse((release({ values: { networkPolicy } }).values as string[])[0]).networkPolicy).toEqual(networkPolicy);
  });

  test('a latest tag fails synthesis with one clear error', () => {
    expect(errorOf(() => release({ image: { repository: base.image.repository, tag: 'latest' } }))).toMatch(/^Invalid Helm release ".*app": 1 problem\n {2}- image\.tag: "latest" is not allowed/);
  });
});

describe('WorkloadIdentity', () => {
  test('federated with the cluster issuer for exactly one ServiceAccount', () => {
    const tf = synthScope((scope) => {
      new WorkloadIdentity(scope, 'app-identity', {
        name: 'id-ai-app', resourceGroupName: 'rg', location: 'japaneast',
        oidcIssuerUrl: 'https://japaneast.oic.prod-aks.azure.com/tenant/cluster/', namespace: 'production', serviceAccountName: 'ai-app',
      });
    });
    expect(only(tf, 'azurerm_federated_identity_credential')).toEqual(expect.objectContaining({
      name: 'k8s-production-ai-app',
      issuer: 'https://japaneast.oic.prod-aks.azure.com/tenant/cluster/',
      subject: 'system:serviceaccount:production:ai-app',
      audience: ['api://AzureADTokenExchange'],
      parent_id: ref(tf, 'azurerm_user_assigned_identity', 'id'),
    }));
  });

  test('validation names each bad field', () => {
    expect(lines(validateWorkloadIdentity({ name: 'x', resourceGroupName: 'rg', location: 'nowhere', oidcIssuerUrl: 'http://insecure', namespace: 'NS', serviceAccountName: '' }))).toEqual([
      'name: "x" is not allowed: 3-128 letters, digits, hyphens or underscores, starting with a letter or digit',
      'location: "nowhere" is not an Azure region; use an Azure region name such as koreacentral or japaneast',
      'oidcIssuerUrl: "http://insecure" is not allowed: the cluster\'s https OIDC issuer URL',
      'namespace: "NS" is not allowed: a Kubernetes namespace: 1-63 lowercase letters, digits or hyphens, alphanumeric at both ends',
      'serviceAccountName: "" is not allowed: a Kubernetes name: lowercase letters, digits, "-" or ".", alphanumeric at both ends',
    ]);
  });
});
