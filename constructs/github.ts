import { REPOSITORY, REPOSITORY_ALLOWED } from './names';
import { Problems } from './validation';

/** GitHub's OIDC token issuer: the `iss` claim of every Actions token. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** The owner of an `owner/name` repository. */
export function repositoryOwner(repository: string): string {
  return repository.split('/')[0];
}

/** The name of an `owner/name` repository, as the github provider's resources take it (the provider holds the owner). */
export function repositoryName(repository: string): string {
  return repository.split('/')[1];
}

/** Reports problems with a GitHub repository given as `owner/name`. */
export function checkRepository(p: Problems, field: string, value: unknown): void {
  p.string(field, value, REPOSITORY, REPOSITORY_ALLOWED);
}
