import { TerraformOutput } from 'cdktf';
import { GithubActionsIdentity, GithubActionsIdentityProps, validateGithubActionsIdentity } from '../constructs/github-actions-identity';
import { errorOf, only, ref, resources, synthScope } from './helpers';
import { lines } from './problems';

const base: GithubActionsIdentityProps = {
  name: 'id-github-test',
  resourceGroupName: 'rg-test',
  location: 'japaneast',
  repository: 'contoso/ai-platform',
  environments: ['prod'],
};

function build(props: Partial<GithubActionsIdentityProps> = {}) {
  let identity: GithubActionsIdentity | undefined;
  const tf = synthScope((scope) => {
    identity = new GithubActionsIdentity(scope, 'github', { ...base, ...props });
  });
  return { tf, identity: identity as GithubActionsIdentity };
}

describe('GithubActionsIdentity', () => {
  test('`tags` are Azure tags on the identity, as on every Azure construct; git tags are `gitTags`', () => {
    const { tf, identity } = build({ tags: { env: 'prod' }, gitTags: ['v1.0.0'] });
    expect(only(tf, 'azurerm_user_assigned_identity')).toMatchObject({ tags: { env: 'prod' } });
    expect(identity.subjects).toEqual(['repo:contoso/ai-platform:environment:prod', 'repo:contoso/ai-platform:ref:refs/tags/v1.0.0']);
    expect(Object.keys(resources(tf, 'azurerm_federated_identity_credential'))).toHaveLength(2);
  });

  test('a user-assigned identity, no app registration and no secret', () => {
    const { tf } = build();
    expect(only(tf, 'azurerm_user_assigned_identity')).toMatchObject({ name: 'id-github-test', resource_group_name: 'rg-test', location: 'japaneast' });
    expect(Object.keys(tf.resource ?? {}).sort()).toEqual(['azurerm_federated_identity_credential', 'azurerm_user_assigned_identity']);
  });

  test('one federated credential per subject, with GitHub issuer and the token-exchange audience, on the identity', () => {
    const { tf } = build();
    expect(only(tf, 'azurerm_federated_identity_credential')).toEqual(expect.objectContaining({
      name: 'github-env-prod',
      issuer: 'https://token.actions.githubusercontent.com',
      audience: ['api://AzureADTokenExchange'],
      subject: 'repo:contoso/ai-platform:environment:prod',
      parent_id: ref(tf, 'azurerm_user_assigned_identity', 'id'),
      resource_group_name: ref(tf, 'azurerm_user_assigned_identity', 'resource_group_name'),
    }));
  });

  test('subjects follow GitHub\'s documented formats exactly', () => {
    const { identity } = build({ environments: ['staging', 'prod'], branches: ['main', 'release/v1'], gitTags: ['v1.0.0'], pullRequests: true });
    expect(identity.subjects).toEqual([
      'repo:contoso/ai-platform:environment:staging',
      'repo:contoso/ai-platform:environment:prod',
      'repo:contoso/ai-platform:ref:refs/heads/main',
      'repo:contoso/ai-platform:ref:refs/heads/release/v1',
      'repo:contoso/ai-platform:ref:refs/tags/v1.0.0',
      'repo:contoso/ai-platform:pull_request',
    ]);
  });

  test('credentials are created one at a time: Azure rejects concurrent writes on one identity', () => {
    const { tf } = build({ environments: ['staging', 'prod'], pullRequests: true });
    const creds = resources(tf, 'azurerm_federated_identity_credential');
    const byName = Object.fromEntries(Object.entries(creds).map(([id, c]) => [c.name as string, { id, dependsOn: c.depends_on }]));
    expect(byName['github-env-staging'].dependsOn).toBeUndefined();
    expect(byName['github-env-prod'].dependsOn).toEqual([`azurerm_federated_identity_credential.${byName['github-env-staging'].id}`]);
    expect(byName['github-pull-request'].dependsOn).toEqual([`azurerm_federated_identity_credential.${byName['github-env-prod'].id}`]);
  });

  test('credential names are derived from subjects and valid for Azure', () => {
    const { tf } = build({ environments: [], branches: ['feature/x.y'], gitTags: ['v1.2'] });
    expect(Object.values(resources(tf, 'azurerm_federated_identity_credential')).map((c) => c.name)).toEqual(['github-branch-feature-x-y', 'github-tag-v1-2']);
  });

  test('it is a service principal for role assignments, granted by its principal_id', () => {
    let identity: GithubActionsIdentity | undefined;
    const tf = synthScope((scope) => {
      identity = new GithubActionsIdentity(scope, 'github', base);
      new TerraformOutput(scope, 'principal', { value: identity.principalId });
      new TerraformOutput(scope, 'client', { value: identity.clientId });
    });
    expect(identity?.principalType).toBe('ServicePrincipal');
    expect(tf.output).toEqual({
      principal: { value: ref(tf, 'azurerm_user_assigned_identity', 'principal_id') },
      client: { value: ref(tf, 'azurerm_user_assigned_identity', 'client_id') },
    });
  });
});

describe('GithubActionsIdentity validation', () => {
  const cases: Array<[string, Partial<GithubActionsIdentityProps>, string]> = [
    ['repository without owner', { repository: 'ai-platform' }, 'repository: "ai-platform" is not allowed: owner/name, for example contoso/ai-platform'],
    ['repository owner with a leading hyphen', { repository: '-contoso/app' }, 'repository: "-contoso/app" is not allowed'],
    ['repository named ..', { repository: 'contoso/..' }, 'repository: "contoso/.." is not allowed'],
    ['wildcard environment', { environments: ['prod*'] }, 'environments[0]: "prod*" is not allowed: 1-255 characters without ":", "*", "?"'],
    ['environment with a colon', { environments: ['prod:eu'] }, 'environments[0]: "prod:eu" is not allowed'],
    ['duplicate environments, case-insensitive', { environments: ['prod', 'Prod'] }, 'environments: "Prod" appears more than once'],
    ['wildcard branch', { branches: ['release/*'] }, 'branches[0]: "release/*" is not allowed: a git ref name without wildcards'],
    ['branch with ..', { branches: ['a..b'] }, 'branches[0]: "a..b" is not allowed'],
    ['branch ending in .lock', { branches: ['main.lock'] }, 'branches[0]: "main.lock" is not allowed'],
    ['git tag with a space', { gitTags: ['v1 0'] }, 'gitTags[0]: "v1 0" is not allowed'],
    ['an Azure tag value too long', { tags: { owner: 'x'.repeat(257) } }, 'tags["owner"]: tag value must be a string of at most 256 characters'],
    ['duplicate branches', { branches: ['main', 'main'] }, 'branches: "main" appears more than once'],
    ['no subject at all', { environments: [] }, 'environments, branches, gitTags, pullRequests: trust at least one GitHub subject'],
    ['more than 20 credentials', { environments: Array.from({ length: 21 }, (_, i) => `env${i}`) }, '21 subjects, but Entra ID allows at most 20 federated credentials per identity'],
    ['credential names that collide', { branches: ['a/b', 'a-b'] }, 'federated credential names (derived from environments, branches and gitTags): "github-branch-a-b" appears more than once'],
    ['identity name too short', { name: 'id' }, 'name: "id" is not allowed: 3-128 letters, digits, hyphens or underscores'],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(lines(validateGithubActionsIdentity({ ...base, ...props })).join('\n')).toContain(message);
    expect(errorOf(() => build(props))).toContain(message);
  });
});
