import { Construct, IConstruct } from 'constructs';
import { LocalBackend, TerraformOutput, TerraformResource, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ManagementLock } from '@cdktf/provider-azurerm/lib/management-lock';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { HARDENED_STORAGE_ACCOUNT } from '../constructs/storage';
import { GithubActionsIdentity } from '../constructs/github-actions-identity';
import { GithubEnvironment } from '../constructs/github-environment';
import { assignRole } from '../constructs/principal';
import { STATE_READ_DATA_ACTIONS, STATE_WRITE_DATA_ACTIONS, constrainRoleAssignments, stateBlobCondition } from '../constructs/role-conditions';
import { repositoryName } from '../constructs/github';
import { ActionsVariable } from '@cdktf/provider-github/lib/actions-variable';
import type { AppConfig, EnvironmentConfig, PlatformConfig, StateConfig } from './environments';
import { useGithubProvider } from './plumbing';
import {
  PLATFORM_ASSIGNED_ROLES, deployIdentityProps, githubEnvironmentGovernanceProps, githubEnvironmentNames, infraIdentityProps, planIdentityProps,
  hasAdmissionStack, planVariablePrefix, platformStackName, workloadStackName,
} from './props';

/** Puts every resource under `scope` on `provider` (an aliased provider for another subscription); undefined keeps the default. */
function useProvider(scope: IConstruct, provider: AzurermProvider | undefined): void {
  if (provider === undefined) return;
  for (const node of scope.node.findAll()) if (node instanceof TerraformResource) node.provider = provider;
}

/** Relative to the stack's directory (cdktf.out/stacks/state-bootstrap): the repository root, where .gitignore keeps it out of git. */
/** The state-bootstrap stack's local state file, at the repository root (npm run doctor looks for it there). */
export const BOOTSTRAP_STATE_FILE = 'terraform.state-bootstrap.tfstate';
export const BOOTSTRAP_STATE_PATH = `../../../${BOOTSTRAP_STATE_FILE}`;

/**
 * The roles the infrastructure deployer of an environment holds on that environment's resource group, each the
 * narrowest built-in role for what `platform-<env>` and `workload-<env>` create there. Nothing at subscription
 * scope, no Owner, Contributor or User Access Administrator.
 */
export const INFRA_DEPLOYER_ROLES: ReadonlyArray<{ readonly role: string; readonly why: string }> = [
  { role: 'Reader', why: 'read the resource group and client config that the stacks look up' },
  { role: 'Container Registry Contributor and Data Access Configuration Administrator', why: 'create and configure the registry, its replicas, retention and network rules (no image push or pull)' },
  { role: 'Azure Kubernetes Service Contributor Role', why: 'create, upgrade and configure the AKS cluster (managedClusters read and write only; node pools come from the custom role below)' },
  { role: 'Log Analytics Contributor', why: 'create the Log Analytics workspace and enable the monitoring add-on' },
  { role: 'Monitoring Contributor', why: 'create the data collection rule Container insights uses with managed identity auth' },
  { role: 'Managed Identity Contributor', why: 'create the user-assigned identities and their federated credentials' },
  { role: 'Azure Kubernetes Service RBAC Cluster Admin', why: 'install the Helm release the first time, which creates its namespace (only cluster admins may create namespaces)' },
];

/** What the infrastructure deployer of a GitOps environment also holds on its resource group. */
export const GITOPS_DEPLOYER_ROLES: ReadonlyArray<{ readonly role: string; readonly why: string }> = [
  { role: 'Storage Account Contributor', why: 'create and configure the storage account Flux reads the manifests from (no data role: shared keys are off, so the account\'s keys open nothing)' },
];

/** The Flux extension and its configuration, added to the custom role in GitOps environments (no built-in role covers fluxConfigurations). */
export const GITOPS_OPERATOR_ACTIONS: readonly string[] = [
  'Microsoft.KubernetesConfiguration/extensions/read',
  'Microsoft.KubernetesConfiguration/extensions/write',
  'Microsoft.KubernetesConfiguration/extensions/delete',
  'Microsoft.KubernetesConfiguration/extensions/operations/read',
  'Microsoft.KubernetesConfiguration/fluxConfigurations/read',
  'Microsoft.KubernetesConfiguration/fluxConfigurations/write',
  'Microsoft.KubernetesConfiguration/fluxConfigurations/delete',
  'Microsoft.KubernetesConfiguration/fluxConfigurations/operations/read',
];

/** The infrastructure deployer's built-in roles and custom-role actions in one environment: GitOps adds its own. */
export function infraDeployerRights(env: EnvironmentConfig): { readonly roles: readonly string[]; readonly actions: readonly string[] } {
  const gitops = env.delivery === 'gitops';
  return {
    roles: [...INFRA_DEPLOYER_ROLES, ...(gitops ? GITOPS_DEPLOYER_ROLES : [])].map((r) => r.role),
    actions: [...AKS_OPERATOR_ACTIONS, ...(gitops ? GITOPS_OPERATOR_ACTIONS : [])],
  };
}

/**
 * What the built-in AKS Contributor role lacks and a Terraform deploy of the cluster needs: the user node pools and the
 * temporary pool a rotation creates (agentPools), replacing a cluster, and reading its user kubeconfig on refresh.
 * Granted as one custom role, assignable only within the environment's resource group.
 */
export const AKS_OPERATOR_ACTIONS: readonly string[] = [
  'Microsoft.ContainerService/managedClusters/agentPools/read',
  'Microsoft.ContainerService/managedClusters/agentPools/write',
  'Microsoft.ContainerService/managedClusters/agentPools/delete',
  'Microsoft.ContainerService/managedClusters/delete',
  'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
];

/**
 * A custom role's name. Role names are unique per Entra tenant, and resource group names repeat across
 * subscriptions (two subscriptions of one tenant running this kit with the same names): the subscription makes it unique.
 */
function customRoleName(what: string, subscriptionId: string, resourceGroupName: string): string {
  return `${what} (${subscriptionId}/${resourceGroupName})`;
}

/**
 * What `az acr build` needs and AcrPush lacks: start a quick run (which uploads the build context first), follow it
 * and read its log, and find the registry. Nothing else of ACR Tasks (no task creation, no admin credentials).
 */
export const CLOUD_BUILD_ACTIONS: readonly string[] = [
  'Microsoft.ContainerRegistry/registries/read',
  'Microsoft.ContainerRegistry/registries/listBuildSourceUploadUrl/action',
  'Microsoft.ContainerRegistry/registries/scheduleRun/action',
  'Microsoft.ContainerRegistry/registries/runs/read',
  'Microsoft.ContainerRegistry/registries/runs/listLogSasUrl/action',
];

/** The application deployers' custom role for `az acr build` where `registry.cloudBuild` is on, one per environment resource group. */
export function cloudBuildRoleName(subscriptionId: string, resourceGroupName: string): string {
  return customRoleName('ACR quick build runner', subscriptionId, resourceGroupName);
}

/** The infrastructure deployer's custom AKS role, one per environment resource group. */
export function aksOperatorRoleName(subscriptionId: string, resourceGroupName: string): string {
  return customRoleName('AKS node pool operator', subscriptionId, resourceGroupName);
}

/** The state reader and writer custom roles, defined in the state resource group. */
export function stateRoleName(kind: 'reader' | 'writer', subscriptionId: string, resourceGroupName: string): string {
  return customRoleName(`Terraform state ${kind}`, subscriptionId, resourceGroupName);
}

/**
 * The resource providers the stacks, AKS and its add-ons use. The deployers hold no subscription-wide right, so they
 * cannot register providers; the administrator's bootstrap run registers exactly these, and every other provider
 * block skips registration. azurerm matches these names case-sensitively against what Azure returns
 * (azurerm `internal/resourceproviders/required.go`): Insights is `microsoft.insights`, all lowercase. A name in
 * another casing is skipped with only a log warning, and the first resource of that namespace fails at apply.
 */
export const RESOURCE_PROVIDERS: ReadonlyArray<{ readonly namespace: string; readonly why: string }> = [
  { namespace: 'Microsoft.Authorization', why: 'role assignments, custom roles, the state lock' },
  { namespace: 'Microsoft.Compute', why: 'the AKS node pools (virtual machine scale sets, disks)' },
  { namespace: 'Microsoft.ContainerRegistry', why: 'the registry and its replicas' },
  { namespace: 'Microsoft.ContainerService', why: 'the AKS cluster' },
  { namespace: 'Microsoft.KubernetesConfiguration', why: 'the Flux extension and its configuration (GitOps environments)' },
  { namespace: 'Microsoft.ManagedIdentity', why: 'user-assigned identities and their federated credentials' },
  { namespace: 'Microsoft.Network', why: "the cluster's load balancer, public IPs and overlay network" },
  { namespace: 'Microsoft.OperationalInsights', why: 'the Log Analytics workspace' },
  { namespace: 'Microsoft.OperationsManagement', why: 'the monitoring add-on (Container insights)' },
  { namespace: 'Microsoft.PolicyInsights', why: 'the Azure Policy add-on' },
  { namespace: 'Microsoft.Resources', why: 'resource groups' },
  { namespace: 'Microsoft.Storage', why: 'the state storage account, and the storage account Flux reads from (GitOps environments)' },
  { namespace: 'microsoft.insights', why: 'the Container insights data collection rule and its association' },
];

/** The two data-actions-only roles every state grant uses, defined once in the state resource group. */
class StateAccessRoles extends Construct {
  public readonly reader: RoleDefinition;
  public readonly writer: RoleDefinition;

  constructor(scope: Construct, id: string, props: { readonly subscriptionId: string; readonly resourceGroupId: string; readonly resourceGroupName: string }) {
    super(scope, id);
    const role = (kind: 'reader' | 'writer', dataActions: readonly string[], description: string) => new RoleDefinition(this, kind, {
      name: stateRoleName(kind, props.subscriptionId, props.resourceGroupName),
      description,
      scope: props.resourceGroupId,
      assignableScopes: [props.resourceGroupId],
      permissions: [{ dataActions: [...dataActions] }],
    });
    this.reader = role('reader', STATE_READ_DATA_ACTIONS, 'Reads Terraform state blobs; every assignment narrows it to one container with a condition.');
    this.writer = role('writer', STATE_WRITE_DATA_ACTIONS, 'Reads Terraform state blobs and writes and leases one state file; every assignment narrows it with a condition.');
  }
}

/** What one environment's bootstrap needs from the stack. */
interface EnvironmentBootstrapProps {
  readonly env: EnvironmentConfig;
  readonly repository: string;
  /** The azurerm provider of the environment's subscription (undefined: the stack's default). */
  readonly provider: AzurermProvider | undefined;
  readonly stateGroup: ResourceGroup;
  readonly stateLocation: string;
  readonly stateRoles: StateAccessRoles;
  readonly storageAccountName: string;
  readonly containerName: string;
}

/**
 * One environment's share of `state-bootstrap`: its resource group; its GitHub Actions identities (the infrastructure
 * deployer, the pull-request planner, and a deployer per application) in the state resource group, where no deployer holds a
 * right, so none can re-federate itself; their state access; the infrastructure deployer's rights on the
 * environment; and the GitHub environment with its protection rules and sign-in secrets.
 */
class EnvironmentBootstrap extends Construct {
  private readonly stack: TerraformStack;

  // Its resources are created in the stack's scope, so their logical IDs (and with them the real resource groups,
  // identities and assignments) stay what they were before this construct grouped them.
  constructor(scope: Construct, envName: string, private readonly props: EnvironmentBootstrapProps) {
    super(scope, `environment-${envName}`);
    const { env, repository, provider, stateGroup } = props;
    this.stack = TerraformStack.of(this);
    const group = new ResourceGroup(this.stack, `resource-group-${envName}`, { provider, name: env.resourceGroupName, location: env.location, tags: { ...env.tags } });
    const home = { resourceGroupName: stateGroup.name, location: props.stateLocation };
    const infra = new GithubActionsIdentity(this.stack, `infra-${envName}`, infraIdentityProps(env, repository, home));
    const plan = new GithubActionsIdentity(this.stack, `plan-${envName}`, planIdentityProps(env, repository, home));
    const deployers = env.applications.map((app) => ({ app, identity: new GithubActionsIdentity(this.stack, `deploy-${envName}-${app.name}`, deployIdentityProps(env, app, repository, home)) }));

    // State: each deployer writes only its own stack's state file; the planner reads.
    // The platform tier's state: platform-<env>.tfstate, and in push environments platform-<env>-admission.tfstate.
    const platformState = hasAdmissionStack(env) ? platformStackName(env) : `${platformStackName(env)}.tfstate`;
    this.grantState(`infra-${envName}-state`, infra, props.stateRoles.writer, platformState);
    this.grantState(`plan-${envName}-state`, plan, props.stateRoles.reader);
    // With GitOps no workload stack exists: the deployers only push images and publish manifests, never run Terraform.
    if (env.delivery === 'push') {
      for (const { app, identity } of deployers) this.grantState(`deploy-${envName}-${app.name}-state`, identity, props.stateRoles.writer, `${workloadStackName(env, app)}.tfstate`);
    }
    // platform-<env> looks the deploy and plan identities up (data sources), to grant them roles and to refresh.
    for (const [who, principal] of [['infra', infra], ['plan', plan]] as const) {
      assignRole(this.stack, `${who}-${envName}-read-plan`, { principal, role: 'Reader', scope: plan.id });
      for (const { app, identity } of deployers) assignRole(this.stack, `${who}-${envName}-read-deploy-${app.name}`, { principal, role: 'Reader', scope: identity.id });
    }

    this.grantEnvironmentRights(infra, group);
    if (env.registry.cloudBuild) this.grantCloudBuild(deployers, group);
    this.wireGithub(infra, plan, deployers);
    new TerraformOutput(this.stack, `infra_client_id_${envName.replace(/-/g, '_')}`, { value: infra.clientId, description: `Client ID the infrastructure workflow deploys ${envName} as` });
  }

  /**
   * A state role at the state resource group, outside the locked account, narrowed by a condition to this
   * environment's container and, for a writer, to one state file.
   */
  private grantState(id: string, principal: GithubActionsIdentity, role: RoleDefinition, writablePathPrefix?: string): void {
    assignRole(this.stack, id, {
      principal, role: role.name, roleDefinitionId: role.roleDefinitionResourceId, scope: this.props.stateGroup.id,
      condition: stateBlobCondition({ storageAccountName: this.props.storageAccountName, containerName: this.props.containerName, writablePathPrefix }),
    });
  }

  /**
   * The GitHub environments (the environment's own, and each application's) with their protection rules and the
   * sign-in secrets of the identities that trust them; the planner's IDs as repository variables, because
   * pull-request jobs declare no environment (that would change their OIDC subject).
   */
  private wireGithub(infra: GithubActionsIdentity, plan: GithubActionsIdentity, deployers: ReadonlyArray<{ app: AppConfig; identity: GithubActionsIdentity }>): void {
    const { env, repository } = this.props;
    for (const name of githubEnvironmentNames(env)) {
      const secrets: Record<string, string> = name === env.github.environment
        ? { AZURE_INFRA_CLIENT_ID: infra.clientId, AZURE_INFRA_TENANT_ID: infra.tenantId, AZURE_INFRA_SUBSCRIPTION_ID: env.subscriptionId }
        : {};
      const deployer = deployers.find(({ app }) => app.githubEnvironment === name)?.identity;
      if (deployer) Object.assign(secrets, { AZURE_CLIENT_ID: deployer.clientId, AZURE_TENANT_ID: deployer.tenantId, AZURE_SUBSCRIPTION_ID: env.subscriptionId });
      const id = name === env.github.environment ? `github-environment-${env.name}` : `github-environment-${env.name}-${name}`;
      new GithubEnvironment(this.stack, id, githubEnvironmentGovernanceProps(env, repository, secrets, name));
    }
    const prefix = planVariablePrefix(env);
    for (const [suffix, value] of Object.entries({ AZURE_CLIENT_ID: plan.clientId, AZURE_TENANT_ID: plan.tenantId, AZURE_SUBSCRIPTION_ID: env.subscriptionId })) {
      new ActionsVariable(this.stack, `plan-variable-${env.name}-${suffix}`, { repository: repositoryName(repository), variableName: `${prefix}${suffix}`, value });
    }
  }

  /**
   * `az acr build` for the applications' deployers (registry.cloudBuild): a custom role of quick-run actions only, at
   * the environment's resource group, whose one registry platform-<env> creates later (a role cannot be assigned at a
   * scope that does not exist yet). Created here because no deployer may define roles.
   */
  private grantCloudBuild(deployers: ReadonlyArray<{ app: AppConfig; identity: GithubActionsIdentity }>, group: ResourceGroup): void {
    const { env, provider } = this.props;
    const role = new RoleDefinition(this.stack, `cloud-build-${env.name}`, {
      provider,
      name: cloudBuildRoleName(env.subscriptionId, env.resourceGroupName),
      description: 'az acr build (ACR Tasks quick runs) in the environment\'s registry: start, follow and read the log of a run. No task creation, no credentials.',
      scope: group.id,
      assignableScopes: [group.id],
      permissions: [{ actions: [...CLOUD_BUILD_ACTIONS] }],
    });
    for (const { app, identity } of deployers) {
      useProvider(assignRole(this.stack, `deploy-${env.name}-${app.name}-cloud-build`, {
        principal: identity, role: role.name, roleDefinitionId: role.roleDefinitionResourceId, scope: group.id,
      }), provider);
    }
  }

  /** The infrastructure deployer's roles on the environment's resource group: narrow built-in roles, node pools, constrained delegation. */
  private grantEnvironmentRights(infra: GithubActionsIdentity, group: ResourceGroup): void {
    const { stack } = this;
    const { env, provider } = this.props;
    const envName = env.name;
    const rights = infraDeployerRights(env);
    for (const role of rights.roles) {
      useProvider(assignRole(stack, `infra-${envName}-${role.replace(/[^A-Za-z]/g, '')}`, { principal: infra, role, scope: group.id }), provider);
    }
    const aksOperator = new RoleDefinition(stack, `aks-operator-${envName}`, {
      provider,
      name: aksOperatorRoleName(env.subscriptionId, env.resourceGroupName),
      description: 'Node pools, cluster replacement and user kubeconfig (and in GitOps environments the Flux extension and configuration) for the infrastructure deployer; AKS Contributor lacks them.',
      scope: group.id,
      assignableScopes: [group.id],
      permissions: [{ actions: [...rights.actions] }],
    });
    useProvider(assignRole(stack, `infra-${envName}-aks-operator`, {
      principal: infra, role: aksOperator.name, roleDefinitionId: aksOperator.roleDefinitionResourceId, scope: group.id,
    }), provider);
    useProvider(assignRole(stack, `infra-${envName}-delegate`, {
      principal: infra, role: 'Role Based Access Control Administrator', scope: group.id,
      condition: constrainRoleAssignments(PLATFORM_ASSIGNED_ROLES),
    }), provider);
  }
}

/**
 * One azurerm provider per subscription: the state's (the default), and an aliased one for each environment in
 * another subscription. Only this administrator's run registers the resource providers.
 */
function subscriptionProviders(stack: TerraformStack, state: StateConfig): (subscriptionId: string, tenantId: string) => AzurermProvider | undefined {
  const registration = { resourceProviderRegistrations: 'none', resourceProvidersToRegister: RESOURCE_PROVIDERS.map((p) => p.namespace) };
  new AzurermProvider(stack, 'azurerm', { features: [{}], subscriptionId: state.subscriptionId, tenantId: state.tenantId, storageUseAzuread: true, ...registration });
  const providers = new Map<string, AzurermProvider | undefined>([[state.subscriptionId, undefined]]);
  return (subscriptionId, tenantId) => {
    if (!providers.has(subscriptionId)) {
      providers.set(subscriptionId, new AzurermProvider(stack, `azurerm-${subscriptionId}`, {
        alias: `sub_${subscriptionId.replace(/-/g, '_')}`, features: [{}], subscriptionId, tenantId, storageUseAzuread: true, ...registration,
      }));
    }
    return providers.get(subscriptionId);
  };
}

/** The state storage account: geo-zone-redundant, versioned, soft-deleting, Entra ID only, never destroyed by Terraform. */
function stateStorageAccount(stack: TerraformStack, state: StateConfig, group: ResourceGroup): StorageAccount {
  return new StorageAccount(stack, 'state', {
    name: state.storageAccountName,
    resourceGroupName: group.name,
    location: state.location,
    // ZRS to GZRS is an in-place conversion in azurerm (only a move between zonal and non-zonal kinds forces a new account).
    ...HARDENED_STORAGE_ACCOUNT,
    blobProperties: {
      versioningEnabled: true,
      changeFeedEnabled: true,
      deleteRetentionPolicy: { days: 30 },
      containerDeleteRetentionPolicy: { days: 30 },
    },
    lifecycle: { preventDestroy: true },
  });
}

/**
 * `state-bootstrap`: deployed once, by an administrator, with local state. It creates what every other stack
 * needs before it can run: the state storage account (one container per environment), each environment's
 * resource group, each environment's infrastructure deployer identity with its constrained rights, and the
 * GitHub environments with their protection rules and the deployer's secrets.
 */
export class StateBootstrapStack extends TerraformStack {
  public readonly storageAccount: StorageAccount;

  constructor(scope: Construct, name: string, config: PlatformConfig) {
    super(scope, name);
    const { state, repository } = config;
    new LocalBackend(this, { path: BOOTSTRAP_STATE_PATH });
    useGithubProvider(this, repository);
    const providerFor = subscriptionProviders(this, state);

    const stateGroup = new ResourceGroup(this, 'state-resource-group', { name: state.resourceGroupName, location: state.location });
    this.storageAccount = stateStorageAccount(this, state, stateGroup);
    new ManagementLock(this, 'state-lock', {
      name: 'terraform-state-cannot-delete',
      scope: this.storageAccount.id,
      lockLevel: 'CanNotDelete',
      notes: 'Holds the Terraform state of every environment. Remove this lock only to retire the platform.',
    });

    const stateRoles = new StateAccessRoles(this, 'state-roles', { subscriptionId: state.subscriptionId, resourceGroupId: stateGroup.id, resourceGroupName: state.resourceGroupName });
    for (const env of Object.values(config.environments)) {
      const container = new StorageContainer(this, `state-${env.name}`, { name: env.stateContainerName, storageAccountId: this.storageAccount.id, containerAccessType: 'private' });
      new EnvironmentBootstrap(this, env.name, {
        env, repository, provider: providerFor(env.subscriptionId, env.tenantId), stateGroup, stateRoles,
        stateLocation: state.location, storageAccountName: this.storageAccount.name, containerName: container.name,
      });
    }
    new TerraformOutput(this, 'state_storage_account_id', { value: this.storageAccount.id });
  }
}
