import { GithubEnvironment, GithubEnvironmentProps, validateGithubEnvironment } from '../constructs/github-environment';
import { errorOf, only, ref, resources, synthScope } from './helpers';
import { lines } from './problems';

const base: GithubEnvironmentProps = {
  repository: 'contoso/ai-platform',
  environment: 'prod',
  secrets: { AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' },
  variables: { ACR_NAME: 'acrexample' },
};
const synth = (props: Partial<GithubEnvironmentProps> = {}) => synthScope((scope) => new GithubEnvironment(scope, 'env', { ...base, ...props }));

describe('GithubEnvironment', () => {
  test('by default: protected branches only, and administrators cannot bypass the rules', () => {
    const env = only(synth(), 'github_repository_environment');
    expect(env).toMatchObject({ repository: 'ai-platform', environment: 'prod', can_admins_bypass: false });
    expect(env.deployment_branch_policy).toEqual({ protected_branches: true, custom_branch_policies: false });
    expect(env.reviewers).toBeUndefined();
    expect(resources(synth(), 'github_repository_environment_deployment_policy')).toEqual({});
  });

  test('required reviewers, no self-review, no admin bypass: the reviewers are the gate', () => {
    const env = only(synth({ reviewers: { users: [1], teams: [2] } }), 'github_repository_environment');
    expect(env).toMatchObject({ reviewers: [{ users: [1], teams: [2] }], prevent_self_review: true, can_admins_bypass: false });
  });

  test('administrators may bypass only when asked to explicitly', () => {
    expect(only(synth({ allowAdminBypass: true }), 'github_repository_environment').can_admins_bypass).toBe(true);
  });

  test('a branch list becomes custom branch policies, one per pattern, on this environment', () => {
    const tf = synth({ branchPolicy: { branches: ['main', 'release/*'] } });
    expect(only(tf, 'github_repository_environment').deployment_branch_policy).toEqual({ protected_branches: false, custom_branch_policies: true });
    const policies = Object.values(resources(tf, 'github_repository_environment_deployment_policy'));
    expect(policies.map((p) => p.branch_pattern)).toEqual(['main', 'release/*']);
    for (const p of policies) expect(p).toMatchObject({ repository: 'ai-platform', environment: ref(tf, 'github_repository_environment', 'environment') });
  });

  test('secrets and variables belong to the environment resource', () => {
    const tf = synth();
    const envName = ref(tf, 'github_repository_environment', 'environment');
    expect(only(tf, 'github_actions_environment_secret')).toEqual(expect.objectContaining({
      repository: 'ai-platform', environment: envName, secret_name: 'AZURE_CLIENT_ID', plaintext_value: '00000000-0000-0000-0000-000000000001',
    }));
    expect(only(tf, 'github_actions_environment_variable')).toEqual(expect.objectContaining({
      repository: 'ai-platform', environment: envName, variable_name: 'ACR_NAME', value: 'acrexample',
    }));
    expect(Object.keys(resources(tf, 'github_actions_environment_secret'))).toHaveLength(1);
  });
});

describe('GithubEnvironment in an environment another stack owns', () => {
  test('writes secrets and variables by environment name and creates no environment', () => {
    const tf = synth({ manageEnvironment: false });
    expect(resources(tf, 'github_repository_environment')).toEqual({});
    expect(only(tf, 'github_actions_environment_secret')).toMatchObject({ environment: 'prod', secret_name: 'AZURE_CLIENT_ID' });
    expect(only(tf, 'github_actions_environment_variable')).toMatchObject({ environment: 'prod', variable_name: 'ACR_NAME' });
  });

  test('refuses protection rules, which belong to the owning stack', () => {
    expect(validateGithubEnvironment({ ...base, manageEnvironment: false, reviewers: { users: [1] }, branchPolicy: 'protected' })).toEqual([
      { field: 'reviewers', message: 'only the stack that manages the environment sets protection rules; drop it or set manageEnvironment: true' },
      { field: 'branchPolicy', message: 'only the stack that manages the environment sets protection rules; drop it or set manageEnvironment: true' },
    ]);
  });
});

describe('GithubEnvironment validation', () => {
  const cases: Array<[string, Partial<GithubEnvironmentProps>, string]> = [
    ['bad repository', { repository: 'nope' }, 'repository: "nope" is not allowed: owner/name'],
    ['environment with a colon', { environment: 'a:b' }, 'environment: "a:b" is not allowed'],
    ['more than 6 reviewers', { reviewers: { users: [1, 2, 3, 4], teams: [5, 6, 7] } }, 'reviewers: GitHub allows at most 6 required reviewers, got 7'],
    ['reviewer login instead of ID', { reviewers: { users: ['octocat' as unknown as number] } }, 'reviewers.users[0]: must be a whole number from 1 to'],
    ['the same reviewer twice', { reviewers: { users: [7, 7] } }, 'reviewers.users: number 7 appears more than once'],
    ['empty reviewers', { reviewers: {} }, 'reviewers: list at least one user or team ID, or leave reviewers out'],
    ['secret name with GITHUB_ prefix', { secrets: { GITHUB_X: 'v' } }, 'secrets.GITHUB_X (name): "GITHUB_X" is not allowed: letters, digits and underscores, not starting with a digit or GITHUB_'],
    ['variable name with a hyphen', { variables: { 'ACR-NAME': 'v' } }, 'variables.ACR-NAME (name): "ACR-NAME" is not allowed'],
    ['empty secret value', { secrets: { AZURE_CLIENT_ID: '' } }, 'secrets.AZURE_CLIENT_ID: must be a non-empty string'],
    ['a branch policy that is neither', { branchPolicy: 'any' as unknown as 'protected' }, 'branchPolicy: must be "protected" or { branches: [...] }, got "any"'],
    ['an empty branch list', { branchPolicy: { branches: [] } }, 'branchPolicy.branches: list at least one branch pattern, or use "protected"'],
    ['a branch pattern with a space', { branchPolicy: { branches: ['my branch'] } }, 'branchPolicy.branches[0]: "my branch" is not allowed: a branch name or pattern'],
    ['a secret and a variable with one name', { variables: { azure_client_id: 'x' } }, 'secrets and variables (names are case-insensitive): "azure_client_id" appears more than once'],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(lines(validateGithubEnvironment({ ...base, ...props })).join('\n')).toContain(message);
    expect(errorOf(() => synth(props))).toContain(message);
  });
});
