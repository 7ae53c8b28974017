import { Construct } from 'constructs';
import { TerraformProvider } from 'cdktf';
import { DataAzurermUserAssignedIdentity } from '@cdktf/provider-azurerm/lib/data-azurerm-user-assigned-identity';
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { MAX_FEDERATED_CREDENTIALS, TrustedSubject, addFederatedCredentials } from './federated-credentials';
import { GITHUB_OIDC_ISSUER, checkRepository } from './github';
import { CREDENTIAL_NAME, CREDENTIAL_NAME_ALLOWED, ENVIRONMENT_NAME, ENVIRONMENT_NAME_ALLOWED, IDENTITY_NAME, IDENTITY_NAME_ALLOWED, REF_NAME, REF_NAME_ALLOWED } from './names';
import { IPrincipal, PrincipalType } from './principal';
import { AzureResourceProps } from './resource';
import { Problem, Problems, describe, throwIfInvalid } from './validation';

export interface GithubActionsIdentityProps extends AzureResourceProps {
  /** Name of the user-assigned managed identity: 3-128 letters, digits, hyphens or underscores, starting with a letter or digit. */
  readonly name: string;
  /** The repository whose workflows may sign in, `owner/name`. */
  readonly repository: string;
  /** Trust jobs that declare `environment: <name>`: subject `repo:owner/name:environment:<name>`. @default - none */
  readonly environments?: readonly string[];
  /** Trust jobs on pushes to these branches, when they declare no environment: subject `repo:owner/name:ref:refs/heads/<branch>`. @default - none */
  readonly branches?: readonly string[];
  /** Trust jobs on these git tags, when they declare no environment: subject `repo:owner/name:ref:refs/tags/<tag>`. @default - none */
  readonly gitTags?: readonly string[];
  /** Trust jobs triggered by pull requests, when they declare no environment: subject `repo:owner/name:pull_request`. @default false */
  readonly pullRequests?: boolean;
}

const credentialName = (kind: string, value: string) => `github-${kind}-${value.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 120);

/** The exact subjects the props describe, in a stable order: environments, branches, git tags, pull requests. */
export function githubSubjects(props: GithubActionsIdentityProps): TrustedSubject[] {
  const repo = `repo:${props.repository}`;
  return [
    ...(props.environments ?? []).map((e) => ({ credentialName: credentialName('env', e), subject: `${repo}:environment:${e}` })),
    ...(props.branches ?? []).map((b) => ({ credentialName: credentialName('branch', b), subject: `${repo}:ref:refs/heads/${b}` })),
    ...(props.gitTags ?? []).map((t) => ({ credentialName: credentialName('tag', t), subject: `${repo}:ref:refs/tags/${t}` })),
    ...(props.pullRequests ? [{ credentialName: 'github-pull-request', subject: `${repo}:pull_request` }] : []),
  ];
}

/** Every problem with `props`, each naming the field and saying what is allowed. Pure. */
export function validateGithubActionsIdentity(props: GithubActionsIdentityProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, IDENTITY_NAME, IDENTITY_NAME_ALLOWED);
  p.resourceGroup('resourceGroupName', props.resourceGroupName);
  p.region('location', props.location);
  checkRepository(p, 'repository', props.repository);
  const envs = p.array('environments', props.environments);
  envs.forEach((e, i) => p.string(`environments[${i}]`, e, ENVIRONMENT_NAME, ENVIRONMENT_NAME_ALLOWED));
  p.unique('environments', envs, (e) => e.toLowerCase());
  for (const field of ['branches', 'gitTags'] as const) {
    const refs = p.array(field, props[field]);
    refs.forEach((r, i) => p.string(`${field}[${i}]`, r, REF_NAME, REF_NAME_ALLOWED));
    p.unique(field, refs);
  }
  p.boolean('pullRequests', props.pullRequests);
  p.tags('tags', props.tags);
  if (p.list.length > 0) return p.list;

  const subjects = githubSubjects(props);
  if (subjects.length === 0) p.add('environments, branches, gitTags, pullRequests', 'trust at least one GitHub subject, or the identity is unusable');
  if (subjects.length > MAX_FEDERATED_CREDENTIALS) {
    p.add('environments, branches, gitTags, pullRequests', `${subjects.length} subjects, but Entra ID allows at most ${MAX_FEDERATED_CREDENTIALS} federated credentials per identity`);
  }
  for (const s of subjects) {
    if (!CREDENTIAL_NAME.test(s.credentialName)) p.add(`federated credential name ${describe(s.credentialName)}`, `must be ${CREDENTIAL_NAME_ALLOWED}`);
  }
  p.unique('federated credential names (derived from environments, branches and gitTags)', subjects.map((s) => s.credentialName), (n) => n.toLowerCase());
  return p.list;
}

/** An identity GitHub Actions signs in as, created here or imported: what grants and workflow secrets need. */
export interface IGithubActionsIdentity extends IPrincipal {
  /** Resource ID of the user-assigned identity. */
  readonly id: string;
  /** What `azure/login` takes as `client-id`. */
  readonly clientId: string;
  readonly tenantId: string;
}

/** Which existing identity to import. */
export interface GithubActionsIdentityLookup {
  readonly name: string;
  readonly resourceGroupName: string;
  /** The azurerm provider of the identity's subscription, when it is not the stack's default. @default - the default azurerm provider */
  readonly provider?: TerraformProvider;
}

/**
 * A user-assigned managed identity that GitHub Actions signs in as through OIDC: one federated credential per
 * trusted subject, issuer `https://token.actions.githubusercontent.com`, audience `api://AzureADTokenExchange`.
 * No app registration, no client secret, nothing that expires. It holds no role until one is granted to it.
 */
export class GithubActionsIdentity extends Construct implements IGithubActionsIdentity {
  public readonly resource: UserAssignedIdentity;
  /** The federated credentials, by credential name. */
  public readonly credentials: Readonly<Record<string, FederatedIdentityCredential>>;
  /** The exact OIDC subjects this identity trusts. */
  public readonly subjects: readonly string[];
  public readonly id: string;
  /** What `azure/login` takes as `client-id`. */
  public readonly clientId: string;
  public readonly principalId: string;
  public readonly principalType: PrincipalType = 'ServicePrincipal';
  public readonly tenantId: string;

  /**
   * An identity that another stack created (and federated), looked up by name through a data source: for stacks
   * that grant it roles without being able to change whom it trusts.
   */
  public static fromExisting(scope: Construct, id: string, lookup: GithubActionsIdentityLookup): IGithubActionsIdentity {
    const p = new Problems();
    p.string('name', lookup.name, IDENTITY_NAME, IDENTITY_NAME_ALLOWED);
    p.resourceGroup('resourceGroupName', lookup.resourceGroupName);
    throwIfInvalid(`imported GitHub Actions identity "${scope.node.path}/${id}"`, p.list);
    const data = new DataAzurermUserAssignedIdentity(scope, id, { name: lookup.name, resourceGroupName: lookup.resourceGroupName, provider: lookup.provider });
    return { id: data.id, clientId: data.clientId, principalId: data.principalId, principalType: 'ServicePrincipal', tenantId: data.tenantId };
  }

  constructor(scope: Construct, id: string, props: GithubActionsIdentityProps) {
    super(scope, id);
    throwIfInvalid(`GitHub Actions identity "${this.node.path}"`, validateGithubActionsIdentity(props));
    this.resource = new UserAssignedIdentity(this, 'resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    const subjects = githubSubjects(props);
    const credentials = addFederatedCredentials(this, this.resource, GITHUB_OIDC_ISSUER, subjects);
    this.credentials = credentials;
    this.subjects = subjects.map((s) => s.subject);
    this.id = this.resource.id;
    this.clientId = this.resource.clientId;
    this.principalId = this.resource.principalId;
    this.tenantId = this.resource.tenantId;
  }
}
