import { Construct } from 'constructs';
import { Fn, TerraformStack, TerraformVariable } from 'cdktf';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { AppRelease, IMAGE_DIGEST_PATTERN, IMAGE_TAG_CHARS } from '../constructs/app-release';
import { EnvironmentStackProps, PlatformStack, useAzureStateBackend } from './platform-stack';
import { CHART_PATH, appValues } from './props';

/** The AKS AAD server application ID that kubelogin requests tokens for (the same in every tenant). */
export const AKS_AAD_SERVER_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

export interface WorkloadStackProps extends EnvironmentStackProps {
  /** The environment's platform stack: cluster endpoint and CA, registry, app identity. Read through cross-stack references. */
  readonly platform: PlatformStack;
}

/**
 * `workload-<env>`: the application's Helm release on the environment's cluster. The helm provider is configured
 * from `platform-<env>`'s outputs (cross-stack references), never from a cluster created in the same run, and
 * authenticates with `kubelogin get-token` because the cluster has no local accounts.
 * Deploy: `cdktf deploy workload-<env> --var image_tag=<git sha> --var image_digest=sha256:<digest of the pushed image>`.
 * The pods run the image by digest; the tag labels the release for readability.
 */
export class WorkloadStack extends TerraformStack {
  public readonly release: AppRelease;
  public readonly imageTag: TerraformVariable;
  public readonly imageDigest: TerraformVariable;

  constructor(scope: Construct, name: string, props: WorkloadStackProps) {
    super(scope, name);
    const { env, platform } = props;
    useAzureStateBackend(this, name, props);

    this.imageTag = new TerraformVariable(this, 'image_tag', {
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

    this.imageDigest = new TerraformVariable(this, 'image_digest', {
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

    new HelmProvider(this, 'helm', {
      kubernetes: {
        host: platform.cluster.host,
        clusterCaCertificate: Fn.base64decode(platform.cluster.clusterCaCertificate),
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: 'kubelogin',
          args: ['get-token', '--login', 'azurecli', '--server-id', AKS_AAD_SERVER_ID],
        },
      },
    });

    this.release = new AppRelease(this, 'app', {
      chartPath: CHART_PATH,
      releaseName: env.app.releaseName,
      namespace: env.app.namespace,
      image: {
        repository: `${platform.registry.loginServer}/${env.app.imageName}`,
        tag: this.imageTag.stringValue,
        digest: this.imageDigest.stringValue,
      },
      values: appValues(env, platform.appIdentity.clientId),
      // The app deploy identity may write only inside the namespace, and Helm's namespace creation fails with
      // Forbidden for it even when the namespace exists; the infrastructure deploy workflow creates it instead.
      createNamespace: false,
    });
  }
}
