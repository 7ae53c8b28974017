import { Construct } from 'constructs';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { AppRelease, AppReleaseProps } from './app-release';
import { IContainerRegistry } from './container-registry';
import { GithubEnvironment } from './github-environment';
import { checkRepository } from './github';
import { IKubernetesCluster } from './kubernetes-cluster';
import { APPLICATION_NAME, APPLICATION_NAME_ALLOWED, NAMESPACE, NAMESPACE_ALLOWED, OBJECT_NAME, OBJECT_NAME_ALLOWED } from './names';
import { IPrincipal } from './principal';
import { AzureResourceProps } from './resource';
import { Problem, Problems, describe, throwIfInvalid } from './validation';
import { WorkloadIdentity } from './workload-identity';

export interface ApplicationProps {
  /** The application's name, unique on its platform: 1-30 lowercase letters, digits or hyphens. */
  readonly name: string;
  /** The registry its images are pushed to: created in this program, or imported (`ContainerRegistry.fromExisting`). */
  readonly registry: IContainerRegistry;
  /** The cluster it runs on: created in this program, or imported (`KubernetesCluster.fromExisting`). */
  readonly cluster: IKubernetesCluster;
  /** The namespace it runs in; the deployer may write only here. The namespace itself is created by a cluster admin. */
  readonly namespace: string;
  /** The pods' ServiceAccount, federated with the application's workload identity. */
  readonly serviceAccountName: string;
  /** Who deploys the application (for example its GitHub Actions identity): pushes its images, installs its release. */
  readonly deployer: IPrincipal;
  /** The pods' Azure identity: its name, resource group, region and tags. */
  readonly workloadIdentity: AzureResourceProps;
  /**
   * The GitHub environment its deploy job declares, which receives the variables that job reads (registry, cluster,
   * namespace, image name, and any `variables` given). @default - no GitHub wiring
   */
  readonly github?: {
    readonly repository: string;
    readonly environment: string;
    /** Extra variables for the deploy job. @default - none */
    readonly variables?: Readonly<Record<string, string>>;
    /** Written into an environment another stack manages (its reviewers and branch policy stay there). @default false */
    readonly manageEnvironment?: boolean;
  };
  /** The image's repository name in the registry, `<login server>/<imageName>`. @default - the application's name */
  readonly imageName?: string;
  /**
   * How its releases reach the cluster. `'push'`: the deployer installs the release itself, so it may use the cluster
   * and write in the namespace. `'gitops'`: Flux installs it from published manifests; the deployer only pushes
   * images (and publishes manifests, granted by GitOps.grantPublish) and holds no cluster role at all.
   * The deploy job reads it as the variable DELIVERY. @default 'push'
   */
  readonly delivery?: 'push' | 'gitops';
}

/** Every problem with `props`, each naming the field and what is allowed. Pure. */
export function validateApplication(props: ApplicationProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, APPLICATION_NAME, APPLICATION_NAME_ALLOWED);
  p.string('namespace', props.namespace, NAMESPACE, NAMESPACE_ALLOWED);
  p.string('serviceAccountName', props.serviceAccountName, OBJECT_NAME, OBJECT_NAME_ALLOWED);
  if (props.delivery !== undefined && props.delivery !== 'push' && props.delivery !== 'gitops') p.add('delivery', `${describe(props.delivery)} is not allowed: 'push' or 'gitops'`);
  if (props.github !== undefined && p.object('github', props.github)) checkRepository(p, 'github.repository', props.github.repository);
  return p.list;
}

/**
 * Everything one application needs on a platform: the pods' workload identity (federated with the cluster for the
 * application's ServiceAccount), its deployer's rights (push to the registry, use the cluster, write only in its
 * namespace), the variables its deploy workflow reads, and its release. Two applications never share a namespace,
 * an identity or a deployer's rights.
 */
export class Application extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  /** The image repository this application pushes and runs: `<login server>/<imageName>`. */
  public readonly imageRepository: string;
  /** The pods' Azure identity. */
  public readonly workloadIdentity: WorkloadIdentity;
  /** Who deploys it. */
  public readonly deployer: IPrincipal;
  /** The deployer's role assignments: AcrPush on the registry, and with push delivery Cluster User and RBAC Writer in the namespace. */
  public readonly deployerRoles: readonly RoleAssignment[];
  /** How its releases reach the cluster. */
  public readonly delivery: 'push' | 'gitops';
  /** The deploy job's variables, when `github` is set. */
  public readonly githubEnvironment?: GithubEnvironment;

  constructor(scope: Construct, id: string, props: ApplicationProps) {
    super(scope, id);
    throwIfInvalid(`application "${this.node.path}"`, validateApplication(props));
    this.name = props.name;
    this.namespace = props.namespace;
    this.serviceAccountName = props.serviceAccountName;
    const imageName = props.imageName ?? props.name;
    this.imageRepository = `${props.registry.loginServer}/${imageName}`;
    this.workloadIdentity = new WorkloadIdentity(this, 'identity', {
      ...props.workloadIdentity,
      oidcIssuerUrl: props.cluster.oidcIssuerUrl,
      namespace: props.namespace,
      serviceAccountName: props.serviceAccountName,
    });
    this.delivery = props.delivery ?? 'push';
    this.deployer = props.deployer;
    this.deployerRoles = [
      props.registry.grantPush(props.deployer),
      // With GitOps the deployer never reaches the cluster: Flux applies what it publishes.
      ...(this.delivery === 'push' ? [props.cluster.grantClusterUser(props.deployer), props.cluster.grantNamespaceWriter(props.deployer, props.namespace)] : []),
    ];
    if (props.github) {
      this.githubEnvironment = new GithubEnvironment(this, 'github', {
        repository: props.github.repository,
        environment: props.github.environment,
        manageEnvironment: props.github.manageEnvironment ?? false,
        secrets: {},
        variables: {
          ACR_NAME: props.registry.name,
          ACR_LOGIN_SERVER: props.registry.loginServer,
          ...(this.delivery === 'push' ? { AKS_CLUSTER: props.cluster.name } : {}),
          NAMESPACE: props.namespace,
          IMAGE_NAME: imageName,
          DELIVERY: this.delivery,
          ...props.github.variables,
        },
      });
    }
  }

  /**
   * The application's Helm release in `scope` (this application's stack, or a stack of its own that deploys after
   * the platform's): its namespace, and its ServiceAccount bound to the workload identity, are set here.
   */
  public addRelease(scope: Construct, id: string, props: Omit<AppReleaseProps, 'namespace'>): AppRelease {
    return new AppRelease(scope, id, {
      ...props,
      namespace: this.namespace,
      values: {
        ...props.values,
        serviceAccount: { ...props.values?.serviceAccount, name: this.serviceAccountName, workloadIdentityClientId: this.workloadIdentity.clientId },
      },
    });
  }
}
