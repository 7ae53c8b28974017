import { Construct } from 'constructs';
import { ActionsEnvironmentSecret } from '@cdktf/provider-github/lib/actions-environment-secret';
import { ActionsEnvironmentVariable } from '@cdktf/provider-github/lib/actions-environment-variable';
import { RepositoryEnvironment } from '@cdktf/provider-github/lib/repository-environment';
import { RepositoryEnvironmentDeploymentPolicy } from '@cdktf/provider-github/lib/repository-environment-deployment-policy';
import { checkRepository, repositoryName } from './github';
import { ACTIONS_NAME, ACTIONS_NAME_ALLOWED, BRANCH_PATTERN, BRANCH_PATTERN_ALLOWED, ENVIRONMENT_NAME, ENVIRONMENT_NAME_ALLOWED } from './names';
import { Problem, Problems, describe, isToken, throwIfInvalid } from './validation';

/**
 * Which branches may deploy to the environment: `'protected'` (branches with branch protection rules), or
 * `{ branches }`, a list of branch name patterns (GitHub's fnmatch syntax, for example `main` or `release/*`).
 */
export type DeploymentBranchPolicy = 'protected' | { readonly branches: readonly string[] };

/** Who must approve a deployment to the environment: GitHub user and team IDs (numbers, not logins). */
export interface EnvironmentReviewers {
  /** @default - none */
  readonly users?: readonly number[];
  /** @default - none */
  readonly teams?: readonly number[];
}

export interface GithubEnvironmentProps {
  /** The repository, `owner/name`; the github provider's owner must be the same owner. */
  readonly repository: string;
  /** The GitHub environment's name; jobs that declare `environment: <name>` get its secrets and variables. */
  readonly environment: string;
  /**
   * Create and own the environment (with its reviewers and branch policy). `false` writes secrets and variables
   * into an environment that another stack owns, which then sets the protection rules. @default true
   */
  readonly manageEnvironment?: boolean;
  /** Required reviewers, at most 6 users and teams in all. @default - no approval needed */
  readonly reviewers?: EnvironmentReviewers;
  /** Let a reviewer approve a run they triggered. @default false when reviewers are set */
  readonly allowSelfReview?: boolean;
  /**
   * Which branches may deploy. Without a policy, a workflow on any branch that declares the environment receives its
   * secrets and signs in as the identities that trust it. @default 'protected'
   */
  readonly branchPolicy?: DeploymentBranchPolicy;
  /**
   * Let repository administrators bypass the protection rules (reviewers and branch policy). The provider's default
   * is true, which turns a reviewer gate into a suggestion. @default false
   */
  readonly allowAdminBypass?: boolean;
  /**
   * Environment secrets. Terraform stores these values in its state, so they must be identifiers
   * (client, tenant and subscription IDs), never credentials.
   */
  readonly secrets: Readonly<Record<string, string>>;
  /** Environment variables (visible in logs). */
  readonly variables: Readonly<Record<string, string>>;
}

/** Every problem with `props`, each naming the field and saying what is allowed. Pure. */
export function validateGithubEnvironment(props: GithubEnvironmentProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  checkRepository(p, 'repository', props.repository);
  p.string('environment', props.environment, ENVIRONMENT_NAME, ENVIRONMENT_NAME_ALLOWED);
  p.boolean('manageEnvironment', props.manageEnvironment);
  p.boolean('allowSelfReview', props.allowSelfReview);
  if (props.manageEnvironment === false) {
    for (const field of ['reviewers', 'allowSelfReview', 'branchPolicy', 'allowAdminBypass'] as const) {
      if (props[field] !== undefined) p.add(field, 'only the stack that manages the environment sets protection rules; drop it or set manageEnvironment: true');
    }
  }
  p.boolean('allowAdminBypass', props.allowAdminBypass);
  checkBranchPolicy(p, props.branchPolicy);
  if (props.reviewers !== undefined && p.object('reviewers', props.reviewers)) {
    const users = p.array('reviewers.users', props.reviewers.users);
    const teams = p.array('reviewers.teams', props.reviewers.teams);
    users.forEach((u, i) => p.integer(`reviewers.users[${i}]`, u, 1, Number.MAX_SAFE_INTEGER));
    teams.forEach((t, i) => p.integer(`reviewers.teams[${i}]`, t, 1, Number.MAX_SAFE_INTEGER));
    p.unique('reviewers.users', users);
    p.unique('reviewers.teams', teams);
    if (users.length + teams.length > 6) p.add('reviewers', `GitHub allows at most 6 required reviewers, got ${users.length + teams.length}`);
    if (users.length + teams.length === 0) p.add('reviewers', 'list at least one user or team ID, or leave reviewers out');
  }
  const names: string[] = [];
  for (const kind of ['secrets', 'variables'] as const) {
    if (!p.object(kind, props[kind])) continue;
    for (const [name, value] of Object.entries(props[kind])) {
      p.string(`${kind}.${name} (name)`, name, ACTIONS_NAME, ACTIONS_NAME_ALLOWED);
      if (!isToken(value) && (typeof value !== 'string' || value.trim() === '')) p.add(`${kind}.${name}`, 'must be a non-empty string');
      names.push(name);
    }
  }
  p.unique('secrets and variables (names are case-insensitive)', names, (n) => n.toUpperCase());
  return p.list;
}

function checkBranchPolicy(p: Problems, policy: unknown): void {
  if (policy === undefined || policy === 'protected') return;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    p.add('branchPolicy', `must be "protected" or { branches: [...] }, got ${describe(policy)}`);
    return;
  }
  const branches = p.array('branchPolicy.branches', (policy as { branches?: unknown }).branches, false);
  if (Array.isArray((policy as { branches?: unknown }).branches) && branches.length === 0) {
    p.add('branchPolicy.branches', 'list at least one branch pattern, or use "protected"');
  }
  branches.forEach((b, i) => p.string(`branchPolicy.branches[${i}]`, b, BRANCH_PATTERN, BRANCH_PATTERN_ALLOWED));
  p.unique('branchPolicy.branches', branches);
}

/**
 * A GitHub deployment environment with its secrets and variables, which jobs that declare
 * `environment: <name>` receive. With reviewers, such jobs wait for approval.
 */
export class GithubEnvironment extends Construct {
  /** The environment, when this construct manages it. */
  public readonly resource?: RepositoryEnvironment;
  public readonly secrets: Readonly<Record<string, ActionsEnvironmentSecret>>;
  public readonly variables: Readonly<Record<string, ActionsEnvironmentVariable>>;
  /** The branch patterns that may deploy, when the branch policy lists them. */
  public readonly branchPolicies: readonly RepositoryEnvironmentDeploymentPolicy[];

  constructor(scope: Construct, id: string, props: GithubEnvironmentProps) {
    super(scope, id);
    throwIfInvalid(`GitHub environment "${this.node.path}"`, validateGithubEnvironment(props));
    const repository = repositoryName(props.repository);
    const reviewers = props.reviewers;
    const policy = props.branchPolicy ?? 'protected';
    if (props.manageEnvironment ?? true) {
      this.resource = new RepositoryEnvironment(this, 'resource', {
        repository,
        environment: props.environment,
        reviewers: reviewers ? [{ users: reviewers.users ? [...reviewers.users] : undefined, teams: reviewers.teams ? [...reviewers.teams] : undefined }] : undefined,
        preventSelfReview: reviewers ? !(props.allowSelfReview ?? false) : undefined,
        canAdminsBypass: props.allowAdminBypass ?? false,
        deploymentBranchPolicy: { protectedBranches: policy === 'protected', customBranchPolicies: policy !== 'protected' },
      });
    }
    const resource = this.resource;
    this.branchPolicies = resource === undefined || policy === 'protected'
      ? []
      : policy.branches.map((pattern) => new RepositoryEnvironmentDeploymentPolicy(this, `branch-${pattern.replace(/[^A-Za-z0-9_-]/g, '-')}`, {
        repository, environment: resource.environment, branchPattern: pattern,
      }));
    const environment = this.resource?.environment ?? props.environment;
    this.secrets = Object.fromEntries(
      Object.entries(props.secrets).map(([name, value]) => [
        name,
        new ActionsEnvironmentSecret(this, `secret-${name}`, { repository, environment, secretName: name, plaintextValue: value }),
      ]),
    );
    this.variables = Object.fromEntries(
      Object.entries(props.variables).map(([name, value]) => [
        name,
        new ActionsEnvironmentVariable(this, `variable-${name}`, { repository, environment, variableName: name, value }),
      ]),
    );
  }
}
