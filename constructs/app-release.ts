import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { Release } from '@cdktf/provider-helm/lib/release';
import { stringify } from 'yaml';
import {
  GUID, GUID_ALLOWED, IMAGE_DIGEST, IMAGE_DIGEST_ALLOWED, IMAGE_REPOSITORY, IMAGE_REPOSITORY_ALLOWED, IMAGE_TAG, IMAGE_TAG_ALLOWED,
  NAMESPACE, NAMESPACE_ALLOWED, OBJECT_NAME, OBJECT_NAME_ALLOWED, RELEASE_NAME, RELEASE_NAME_ALLOWED,
} from './names';
import { Problem, Problems, describe, isToken, throwIfInvalid } from './validation';

export interface ResourceQuantities {
  /** CPU, for example `500m` or `"1"`. */
  readonly cpu: string;
  /** Memory, for example `1Gi`. */
  readonly memory: string;
}

/** The chart's values (charts/ai-app/values.yaml) other than the image, which AppRelease sets. Every field is optional: the chart's defaults apply. */
export interface AppValues {
  /** Pods when autoscaling is off. */
  readonly replicaCount?: number;
  readonly serviceAccount?: {
    readonly name?: string;
    /** Client ID of the pods' workload identity: the ServiceAccount's `azure.workload.identity/client-id`. */
    readonly workloadIdentityClientId?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly podLabels?: Readonly<Record<string, string>>;
  readonly podAnnotations?: Readonly<Record<string, string>>;
  readonly containerPort?: number;
  readonly service?: { readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; readonly port?: number };
  readonly probes?: { readonly livenessPath?: string; readonly readinessPath?: string };
  readonly resources?: { readonly requests?: ResourceQuantities; readonly limits?: ResourceQuantities };
  readonly autoscaling?: {
    readonly enabled?: boolean;
    readonly minReplicas?: number;
    readonly maxReplicas?: number;
    readonly targetCPUUtilizationPercentage?: number;
  };
  readonly podDisruptionBudget?: { readonly enabled?: boolean; readonly minAvailable?: number | string };
  readonly ingress?: {
    readonly enabled?: boolean;
    readonly className?: string;
    readonly host?: string;
    readonly path?: string;
    readonly tlsSecretName?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  /**
   * The pods' NetworkPolicy: ingress only to the http port, from the release's namespace, `ingressNamespaces` and
   * `ingressCidrs`; egress as `egress` allows.
   * @default - enabled; other namespaces: app-routing-system (AKS's ingress controller); egress: DNS to kube-system and TCP 443
   */
  readonly networkPolicy?: {
    readonly enabled?: boolean;
    /** Label sets (matchLabels) of other namespaces allowed in; a namespace matching any one may connect. Never empty sets. */
    readonly ingressNamespaces?: ReadonlyArray<Readonly<Record<string, string>>>;
    /** CIDRs outside the cluster allowed in, e.g. a LoadBalancer Service's clients. @default - none */
    readonly ingressCidrs?: readonly string[];
    readonly egress?: {
      /** Any destination and port: a weakening. @default false */
      readonly allowAll?: boolean;
      /** DNS to the cluster DNS pods. @default true */
      readonly dns?: boolean;
      /** TCP ports allowed to any destination. @default [443] */
      readonly tcpPorts?: readonly number[];
    };
  };
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

export interface AppReleaseProps {
  /** Directory of the local chart; it is copied into the synthesized stack as an asset, so the plan is self-contained. */
  readonly chartPath: string;
  /** Helm release name: 1-53 lowercase letters, digits or hyphens. */
  readonly releaseName: string;
  /** Namespace of the release. */
  readonly namespace: string;
  /**
   * The image: `repository` without a tag, an immutable `tag` (never `latest`) and, optionally, the pushed `digest`.
   * With a digest the pods run `repository@digest` and the tag is kept as the version label. Any of them may be a token.
   */
  readonly image: {
    readonly repository: string;
    readonly tag: string;
    /** `sha256:<64 hex>` of the pushed image. @default - the image is pulled by tag */
    readonly digest?: string;
  };
  /** Chart values other than the image. @default - the chart's defaults */
  readonly values?: AppValues;
  /** Create the namespace on first install (needs rights to create namespaces). @default true */
  readonly createNamespace?: boolean;
  /** Seconds Helm waits for the rollout before it rolls back. @default 600 */
  readonly timeoutSeconds?: number;
  /** Release revisions Helm keeps: how far back a rollback can go. @default 10 (DEFAULT_MAX_HISTORY) */
  readonly maxHistory?: number;
}

/** Release revisions AppRelease keeps when `maxHistory` is not given: the images a rollback may still need. */
export const DEFAULT_MAX_HISTORY = 10;

/** Seconds Helm waits for the release's resources to be ready. */
export const DEFAULT_TIMEOUT_SECONDS = 600;

const CPU = /^([1-9][0-9]*m|[0-9]+(\.[0-9]{1,3})?)$/;
const MEMORY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Every problem with `props`, each naming the field and saying what is allowed. Pure. */
export function validateAppRelease(props: AppReleaseProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  if (p.string('chartPath', props.chartPath, /^[^\0]{1,4096}$/, 'the path of a local chart directory') && !existsSync(join(props.chartPath, 'Chart.yaml'))) {
    p.add('chartPath', `${describe(props.chartPath)} is not a chart directory (it has no Chart.yaml)`);
  }
  p.string('releaseName', props.releaseName, RELEASE_NAME, RELEASE_NAME_ALLOWED);
  p.string('namespace', props.namespace, NAMESPACE, NAMESPACE_ALLOWED);
  if (p.object('image', props.image)) {
    p.string('image.repository', props.image.repository, IMAGE_REPOSITORY, IMAGE_REPOSITORY_ALLOWED);
    p.string('image.tag', props.image.tag, IMAGE_TAG, IMAGE_TAG_ALLOWED);
    p.optionalString('image.digest', props.image.digest, IMAGE_DIGEST, IMAGE_DIGEST_ALLOWED);
  }
  p.boolean('createNamespace', props.createNamespace);
  p.optionalInteger('timeoutSeconds', props.timeoutSeconds, 60, 3600);
  p.optionalInteger('maxHistory', props.maxHistory, 1, 100);
  const values = props.values;
  if (values !== undefined && p.object('values', values)) {
    p.optionalInteger('values.replicaCount', values.replicaCount, 1, 1000);
    const sa = values.serviceAccount;
    if (sa !== undefined && p.object('values.serviceAccount', sa)) {
      p.optionalString('values.serviceAccount.name', sa.name, OBJECT_NAME, OBJECT_NAME_ALLOWED);
      p.optionalString('values.serviceAccount.workloadIdentityClientId', sa.workloadIdentityClientId, new RegExp(`^$|${GUID.source}`), `empty or ${GUID_ALLOWED}`);
    }
    const pdb = values.podDisruptionBudget;
    if (pdb !== undefined && p.object('values.podDisruptionBudget', pdb)) {
      p.boolean('values.podDisruptionBudget.enabled', pdb.enabled);
      if (typeof pdb.minAvailable === 'string') p.string('values.podDisruptionBudget.minAvailable', pdb.minAvailable, /^(100|[1-9]?[0-9])%$/, 'a pod count or a percentage such as 50%');
      else p.optionalInteger('values.podDisruptionBudget.minAvailable', pdb.minAvailable, 0, 1000);
    }
    const resources = values.resources;
    if (resources !== undefined && p.object('values.resources', resources)) {
      for (const kind of ['requests', 'limits'] as const) {
        const q = resources[kind];
        if (q === undefined || !p.object(`values.resources.${kind}`, q)) continue;
        p.string(`values.resources.${kind}.cpu`, q.cpu, CPU, 'a CPU quantity such as 500m or "1"');
        p.string(`values.resources.${kind}.memory`, q.memory, MEMORY, 'a memory quantity such as 512Mi or 2Gi');
      }
    }
    const np = values.networkPolicy;
    if (np !== undefined && p.object('values.networkPolicy', np)) {
      p.boolean('values.networkPolicy.enabled', np.enabled);
      p.array('values.networkPolicy.ingressNamespaces', np.ingressNamespaces).forEach((labels, i) => {
        // An empty label set selects every namespace: never what "allow the ingress controller's namespace" means.
        if (p.object(`values.networkPolicy.ingressNamespaces[${i}]`, labels) && Object.keys(labels).length === 0) {
          p.add(`values.networkPolicy.ingressNamespaces[${i}]`, 'an empty label set would admit every namespace; name at least one label');
        }
      });
      p.array('values.networkPolicy.ingressCidrs', np.ingressCidrs);
      if (np.egress !== undefined && p.object('values.networkPolicy.egress', np.egress)) {
        p.boolean('values.networkPolicy.egress.allowAll', np.egress.allowAll);
        p.boolean('values.networkPolicy.egress.dns', np.egress.dns);
        p.array('values.networkPolicy.egress.tcpPorts', np.egress.tcpPorts).forEach((port, i) => p.integer(`values.networkPolicy.egress.tcpPorts[${i}]`, port, 1, 65535));
      }
    }
    const hpa = values.autoscaling;
    if (hpa !== undefined && p.object('values.autoscaling', hpa)) {
      p.boolean('values.autoscaling.enabled', hpa.enabled);
      const minOk = hpa.minReplicas === undefined || p.integer('values.autoscaling.minReplicas', hpa.minReplicas, 1, 100);
      const maxOk = hpa.maxReplicas === undefined || p.integer('values.autoscaling.maxReplicas', hpa.maxReplicas, 1, 1000);
      p.optionalInteger('values.autoscaling.targetCPUUtilizationPercentage', hpa.targetCPUUtilizationPercentage, 1, 100);
      const { minReplicas, maxReplicas } = hpa;
      if (minOk && maxOk && typeof minReplicas === 'number' && typeof maxReplicas === 'number' && !isToken(maxReplicas) && maxReplicas < minReplicas) {
        p.add('values.autoscaling.maxReplicas', `must be at least minReplicas (${minReplicas}), got ${maxReplicas}`);
      }
    }
  }
  return p.list;
}

/**
 * The application's Helm release from a local chart: atomic (a failed upgrade rolls back), cleans up on
 * failure, waits for the rollout, bounded history. Values are serialized from a typed object; the image tag
 * is refused at synth time when it is `latest` or empty, and a digest when it is not `sha256:<64 hex>`.
 */
export class AppRelease extends Construct {
  public readonly resource: Release;
  /** The values exactly as passed to Helm, before token resolution. */
  public readonly values: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: AppReleaseProps) {
    super(scope, id);
    throwIfInvalid(`Helm release "${this.node.path}"`, validateAppRelease(props));
    const chart = new TerraformAsset(this, 'chart', { path: props.chartPath, type: AssetType.DIRECTORY });
    const { repository, tag, digest } = props.image;
    this.values = { ...props.values, image: { repository, tag, ...(digest === undefined ? {} : { digest }) } };
    this.resource = new Release(this, 'resource', {
      name: props.releaseName,
      namespace: props.namespace,
      chart: chart.path,
      createNamespace: props.createNamespace ?? true,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      maxHistory: props.maxHistory ?? DEFAULT_MAX_HISTORY,
      // Strings double-quoted so a numeric-looking SHA stays a string; no line folding, so references stay whole.
      values: [stringify(this.values, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 })],
    });
  }
}
