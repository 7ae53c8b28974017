import { Problems } from './validation';

/** GitHub's OIDC token issuer: the `iss` claim of every Actions token. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** `owner/name`: an owner of 1-39 letters, digits or single inner hyphens; a name of 1-100 letters, digits, `.`, `_` or `-` (not `.` or `..`). */
export const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
export const REPOSITORY_ALLOWED = 'owner/name, for example contoso/ai-platform';

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

/**
 * A GitHub environment name as it appears in the `sub` claim: 1-255 characters, no `:` (the claim's separator),
 * no wildcard characters (federated credentials match exactly), no control or invisible formatting characters
 * (such as a right-to-left override, which would make two names look alike), no surrounding spaces.
 */
export const ENVIRONMENT_NAME = /^(?! )[^:*?\p{Cc}\p{Cf}]{1,255}(?<! )$/u;
export const ENVIRONMENT_NAME_ALLOWED = '1-255 characters without ":", "*", "?", control or invisible formatting characters, or surrounding spaces';

/**
 * A branch or tag name git accepts (git check-ref-format) and that a federated credential can match exactly:
 * no wildcards, no spaces, no `..`, `@{`, `//`, `\`, `~`, `^`, `:`, `?`, `*`, `[`, not starting with `-` or `/`,
 * not ending with `/`, `.` or `.lock`.
 */
export const REF_NAME = /^(?![-/])(?!.*(\.\.|@\{|\/\/|\/\.|\.lock$|[/.]$))[^\x00-\x20\x7f~^:?*\[\\\p{Cf}]{1,255}$/u;
export const REF_NAME_ALLOWED = 'a git ref name without wildcards, spaces, invisible formatting characters, "..", "~", "^", ":", "?", "*", "[" or "\\", not starting with "-" or "/" and not ending with "/", "." or ".lock"';

/** An Actions secret or variable name: letters, digits and underscores, not starting with a digit or `GITHUB_`. */
export const ACTIONS_NAME = /^(?!GITHUB_)(?![0-9])[A-Z0-9_]{1,200}$/i;
export const ACTIONS_NAME_ALLOWED = 'letters, digits and underscores, not starting with a digit or GITHUB_';
