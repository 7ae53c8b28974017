import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { Release } from '@cdktf/provider-helm/lib/release';
import { stringify } from 'yaml';
import {
  BRANCH_NAME, BRANCH_NAME_ALLOWED, GUID, GUID_ALLOWED, NAMESPACE, NAMESPACE_ALLOWED, REPOSITORY, REPOSITORY_ALLOWED, WORKFLOW_PATH,
  WORKFLOW_PATH_ALLOWED,
} from './names';
import { DEFAULT_TIMEOUT_SECONDS } from './app-release';
import { Problem, Problems, describe, throwIfInvalid } from './validation';

/**
 * The admission engine: Kyverno's Helm chart 3.8.2, which installs Kyverno v1.18.2 (the chart's appVersion at the
 * v1.18.2 tag). Kyverno 1.18 supports Kubernetes 1.33 to 1.35. The CRD schemas `npm run verify` checks the policy
 * against come from the same tag (scripts/tools/versions.env, KYVERNO_CRDS).
 */
export const KYVERNO_CHART = { repository: 'https://kyverno.github.io/kyverno/', chart: 'kyverno', version: '3.8.2' } as const;
/** The Kyverno release that KYVERNO_CHART installs. */
export const KYVERNO_APP_VERSION = 'v1.18.2';
/** Namespace of the engine: Kyverno must have one of its own. */
export const KYVERNO_NAMESPACE = 'kyverno';
/**
 * The engine's values, the same for every cluster: three admission controllers (the webhook that verifies images;
 * Kyverno's minimum for high availability), and a standby for each leader-elected controller.
 */
export const KYVERNO_VALUES = {
  admissionController: { replicas: 3 },
  backgroundController: { replicas: 2 },
  cleanupController: { replicas: 2 },
  reportsController: { replicas: 2 },
} as const;

/** Where the signatures live: a Sigstore bundle attached as an OCI referrer (cosign 3), or cosign 2's `.sig` tag. */
export type SignatureFormat = 'sigstore-bundle' | 'cosign';

export interface ImageAdmissionProps {
  /** Namespaces whose pods must run signed images: at least one, each a Kubernetes namespace name. */
  readonly namespaces: readonly string[];
  /**
   * The one identity whose keyless signatures are accepted: the workflow file `workflow` (`.github/workflows/<file>.yml`)
   * of `repository` (`owner/name`), run on `branch`. The policy expects the certificate identity
   * `https://github.com/<repository>/<workflow>@refs/heads/<branch>` from issuer `https://token.actions.githubusercontent.com`.
   */
  readonly signer: { readonly repository: string; readonly workflow: string; readonly branch: string };
  /** `enforce` refuses a pod with an unsigned (or otherwise signed) image; `audit` admits it and records a PolicyReport entry. */
  readonly mode: 'enforce' | 'audit';
  /** Directory of the policy chart. @default - the kit's charts/image-policy */
  readonly chartPath?: string;
  /** How the signing workflow stores signatures. @default 'sigstore-bundle' (cosign 3's default) */
  readonly signatureFormat?: SignatureFormat;
  /**
   * Client ID of an identity with AcrPull on the registry the images come from. Kyverno's admission controller reads
   * signatures with it, through the node's managed identity endpoint: in AKS, the kubelet identity
   * (`KubernetesCluster.kubeletIdentityClientId`), which `attachRegistry` grants AcrPull.
   * @default - Kyverno reads signatures without Azure credentials: only public registries can be verified
   */
  readonly registryIdentityClientId?: string;
}

/** The kit's own policy chart, from constructs/ in the repository or dist/constructs/ in the package. */
function defaultChartPath(): string {
  const candidates = [join(__dirname, '..', 'charts', 'image-policy'), join(__dirname, '..', '..', 'charts', 'image-policy')];
  return candidates.find((dir) => existsSync(join(dir, 'Chart.yaml'))) ?? candidates[0];
}

/** Every problem with `props`, each naming the field and saying what is allowed. Pure. */
export function validateImageAdmission(props: ImageAdmissionProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  const namespaces = p.array('namespaces', props.namespaces, false);
  if (Array.isArray(props.namespaces) && props.namespaces.length === 0) p.add('namespaces', 'at least one namespace is required: the policy would guard nothing');
  namespaces.forEach((ns, i) => p.string(`namespaces[${i}]`, ns, NAMESPACE, NAMESPACE_ALLOWED));
  p.unique('namespaces', namespaces);
  if (p.object('signer', props.signer)) {
    p.string('signer.repository', props.signer.repository, REPOSITORY, REPOSITORY_ALLOWED);
    p.string('signer.workflow', props.signer.workflow, WORKFLOW_PATH, WORKFLOW_PATH_ALLOWED);
    p.string('signer.branch', props.signer.branch, BRANCH_NAME, BRANCH_NAME_ALLOWED);
  }
  p.oneOf('mode', props.mode, ['enforce', 'audit'], false);
  p.oneOf('signatureFormat', props.signatureFormat, ['sigstore-bundle', 'cosign']);
  p.optionalString('registryIdentityClientId', props.registryIdentityClientId, GUID, GUID_ALLOWED);
  if (props.chartPath !== undefined && p.string('chartPath', props.chartPath, /^[^\0]{1,4096}$/, 'the path of a local chart directory') && !existsSync(join(props.chartPath, 'Chart.yaml'))) {
    p.add('chartPath', `${describe(props.chartPath)} is not a chart directory (it has no Chart.yaml)`);
  }
  return p.list;
}

/**
 * The policy chart's values for `props` (charts/image-policy/values.yaml): what the Terraform release applies, and
 * what a Flux HelmRelease of the same chart must apply.
 */
export function imagePolicyValues(props: ImageAdmissionProps): Record<string, unknown> {
  const { repository, workflow, branch } = props.signer;
  return {
    mode: props.mode,
    namespaces: [...props.namespaces],
    signer: { repository, workflow, branch },
    signatureFormat: props.signatureFormat ?? 'sigstore-bundle',
  };
}

/**
 * The engine's values: KYVERNO_VALUES, and, given the client ID of an identity with AcrPull, the admission
 * controller's AZURE_CLIENT_ID, which Kyverno's Azure credential helper uses to read signatures from the registry.
 */
export function kyvernoValues(props: Pick<ImageAdmissionProps, 'registryIdentityClientId'> = {}): Record<string, unknown> {
  const values = JSON.parse(JSON.stringify(KYVERNO_VALUES)) as { admissionController: Record<string, unknown> } & Record<string, unknown>;
  const id = props.registryIdentityClientId;
  if (id !== undefined) values.admissionController.container = { extraEnvVars: [{ name: 'AZURE_CLIENT_ID', value: id }] };
  return values;
}

/** Values serialized as Helm reads them: strings double-quoted, no line folding (references stay whole). */
const toYaml = (values: Record<string, unknown>) => stringify(values, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });

/**
 * Admission control for images: Kyverno (KYVERNO_CHART, in KYVERNO_NAMESPACE) and one ClusterPolicy (the kit's
 * charts/image-policy) that verifies every image of every pod in `namespaces` against one keyless signer, with
 * Rekor transparency-log verification, in `enforce` or `audit` mode. Two Helm releases in the caller's stack,
 * which must configure a helm provider; the policy release depends on the engine's.
 */
export class ImageAdmission extends Construct {
  /** The Kyverno release. */
  public readonly engine: Release;
  /** The policy release (charts/image-policy). */
  public readonly policy: Release;
  /** The policy chart's values, as passed to Helm. */
  public readonly values: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: ImageAdmissionProps) {
    super(scope, id);
    throwIfInvalid(`image admission "${this.node.path}"`, validateImageAdmission(props));
    this.engine = new Release(this, 'engine', {
      name: 'kyverno',
      repository: KYVERNO_CHART.repository,
      chart: KYVERNO_CHART.chart,
      version: KYVERNO_CHART.version,
      namespace: KYVERNO_NAMESPACE,
      createNamespace: true,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: DEFAULT_TIMEOUT_SECONDS,
      values: [toYaml(kyvernoValues(props))],
    });
    const chart = new TerraformAsset(this, 'chart', { path: props.chartPath ?? defaultChartPath(), type: AssetType.DIRECTORY });
    this.values = imagePolicyValues(props);
    this.policy = new Release(this, 'policy', {
      name: 'verify-image-signatures',
      chart: chart.path,
      namespace: KYVERNO_NAMESPACE,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: DEFAULT_TIMEOUT_SECONDS,
      values: [toYaml(this.values)],
      dependsOn: [this.engine],
    });
  }
}
