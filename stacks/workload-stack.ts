import { Construct } from 'constructs';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { AppRelease } from '../constructs/app-release';
import { IMAGE_DIGEST_PATTERN, IMAGE_TAG_CHARS } from '../constructs/names';
import type { AppConfig, EnvironmentConfig, StateConfig } from './environments';
import { ClusterEndpoint, useAzureStateBackend, useKubeloginHelmProvider } from './plumbing';
import { CHART_PATH, appValues } from './props';

/**
 * What a workload stack needs, and nothing more: where its state lives, the application, and the few platform
 * values its release reads (cross-stack references when they come from a platform stack of the same app).
 */
export interface WorkloadStackProps {
  /** The environment: its state container holds this stack's state. */
  readonly env: EnvironmentConfig;
  readonly state: StateConfig;
  /** The application whose release this stack holds. */
  readonly app: AppConfig;
  /** The cluster's API server: its host and base64-encoded CA certificate. */
  readonly cluster: ClusterEndpoint;
  /** The registry's login server; the image is `<login server>/<app.imageName>`. */
  readonly registryLoginServer: string;
  /** Client ID of the application pods' workload identity. */
  readonly workloadIdentityClientId: string;
}

/**
 * `workload-<env>-<app>`: one application's Helm release on the environment's cluster. The helm provider is configured
 * from `platform-<env>`'s outputs (cross-stack references), never from a cluster created in the same run, and
 * authenticates with `kubelogin get-token` because the cluster has no local accounts.
 * Deploy: `cdktf deploy workload-<env>-<app> --var image_tag=<git sha> --var image_digest=sha256:<digest of the pushed image>`.
 * The pods run the image by digest; the tag labels the release for readability.
 */
export class WorkloadStack extends TerraformStack {
  public readonly release: AppRelease;
  public readonly imageTag: TerraformVariable;
  public readonly imageDigest: TerraformVariable;

  constructor(scope: Construct, name: string, props: WorkloadStackProps) {
    super(scope, name);
    const { app, cluster } = props;
    useAzureStateBackend(this, name, props);

    [this.imageTag, this.imageDigest] = imageVariables(this);

    useKubeloginHelmProvider(this, cluster);

    this.release = new AppRelease(this, 'app', {
      chartPath: CHART_PATH,
      releaseName: app.releaseName,
      namespace: app.namespace,
      image: {
        repository: `${props.registryLoginServer}/${app.imageName}`,
        tag: this.imageTag.stringValue,
        digest: this.imageDigest.stringValue,
      },
      values: appValues(app, props.workloadIdentityClientId),
      // The app deploy identity may write only inside the namespace, and Helm's namespace creation fails with
      // Forbidden for it even when the namespace exists; the infrastructure deploy workflow creates it instead.
      createNamespace: false,
    });
  }
}

/**
 * The two inputs of every deploy: the image tag (the git SHA, never latest) and the digest the workflow pushed,
 * both required and validated by Terraform itself (RE2 patterns, shared with the constructs).
 */
function imageVariables(stack: TerraformStack): [TerraformVariable, TerraformVariable] {
  const tag = new TerraformVariable(stack, 'image_tag', {
    type: 'string',
    description: 'Image tag to deploy: the git SHA the app workflow built and pushed. Never "latest".',
    nullable: false,
    validation: [
      {
        // Terraform's regex is RE2 (no lookahead), so "latest" is refused by a separate comparison.
        condition: `\${can(regex("${IMAGE_TAG_CHARS}", var.image_tag)) && lower(var.image_tag) != "latest"}`,
        errorMessage: 'image_tag must be an immutable tag such as the git SHA: 1-128 letters, digits, underscores, dots or hyphens, never latest and never empty.',
      },
    ],
  });
  const digest = new TerraformVariable(stack, 'image_digest', {
    type: 'string',
    description: 'Digest of the image the app workflow pushed to this environment\'s registry (sha256:<64 hex>, from docker inspect RepoDigests). The pods run repository@digest.',
    nullable: false,
    validation: [
      {
        condition: `\${can(regex("${IMAGE_DIGEST_PATTERN}", var.image_digest))}`,
        errorMessage: 'image_digest must be the pushed image\'s digest: sha256: followed by 64 lowercase hex digits.',
      },
    ],
  });
  return [tag, digest];
}
