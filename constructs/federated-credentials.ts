import { Construct } from 'constructs';
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';

/** The audience Entra ID expects in a federated token exchange. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Entra ID allows at most 20 federated credentials on one identity. */
export const MAX_FEDERATED_CREDENTIALS = 20;

/** One trusted token subject and the name of the federated credential that carries it. */
export interface TrustedSubject {
  readonly credentialName: string;
  readonly subject: string;
}

/**
 * One federated credential per subject on `identity`, each trusting `issuer` with the token-exchange audience.
 * Azure rejects concurrent credential writes on one identity (ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity),
 * so each credential depends on the one before it and Terraform creates them one at a time.
 */
export function addFederatedCredentials(
  scope: Construct,
  identity: UserAssignedIdentity,
  issuer: string,
  subjects: readonly TrustedSubject[],
): Record<string, FederatedIdentityCredential> {
  const credentials: Record<string, FederatedIdentityCredential> = {};
  let previous: FederatedIdentityCredential | undefined;
  for (const s of subjects) {
    previous = new FederatedIdentityCredential(scope, s.credentialName, {
      name: s.credentialName,
      parentId: identity.id,
      resourceGroupName: identity.resourceGroupName,
      issuer,
      audience: [AZURE_TOKEN_EXCHANGE_AUDIENCE],
      subject: s.subject,
      dependsOn: previous ? [previous] : undefined,
    });
    credentials[s.credentialName] = previous;
  }
  return credentials;
}
