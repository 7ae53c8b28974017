import { Construct } from 'constructs';
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { addFederatedCredentials } from './federated-credentials';
import { IDENTITY_NAME, IDENTITY_NAME_ALLOWED, NAMESPACE, NAMESPACE_ALLOWED, OBJECT_NAME, OBJECT_NAME_ALLOWED, OIDC_ISSUER_URL, OIDC_ISSUER_URL_ALLOWED } from './names';
import { IPrincipal, PrincipalType } from './principal';
import { AzureResourceProps } from './resource';
import { Problem, Problems, throwIfInvalid } from './validation';

export interface WorkloadIdentityProps extends AzureResourceProps {
  /** Name of the user-assigned managed identity: 3-128 letters, digits, hyphens or underscores. */
  readonly name: string;
  /** The cluster's OIDC issuer URL (`KubernetesCluster.oidcIssuerUrl`). */
  readonly oidcIssuerUrl: string;
  /** Namespace of the pods' ServiceAccount. */
  readonly namespace: string;
  /** Name of the pods' ServiceAccount. */
  readonly serviceAccountName: string;
}


export function validateWorkloadIdentity(props: WorkloadIdentityProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, IDENTITY_NAME, IDENTITY_NAME_ALLOWED);
  p.resourceGroup('resourceGroupName', props.resourceGroupName);
  p.region('location', props.location);
  p.string('oidcIssuerUrl', props.oidcIssuerUrl, OIDC_ISSUER_URL, OIDC_ISSUER_URL_ALLOWED);
  p.string('namespace', props.namespace, NAMESPACE, NAMESPACE_ALLOWED);
  p.string('serviceAccountName', props.serviceAccountName, OBJECT_NAME, OBJECT_NAME_ALLOWED);
  p.tags('tags', props.tags);
  return p.list;
}

/**
 * The Azure identity of a workload's pods (AKS workload identity): a user-assigned identity federated with the
 * cluster's OIDC issuer for exactly one ServiceAccount, subject `system:serviceaccount:<namespace>:<name>`.
 */
export class WorkloadIdentity extends Construct implements IPrincipal {
  public readonly resource: UserAssignedIdentity;
  public readonly credential: FederatedIdentityCredential;
  /** The exact token subject trusted. */
  public readonly subject: string;
  /** What the ServiceAccount's `azure.workload.identity/client-id` annotation carries. */
  public readonly clientId: string;
  public readonly principalId: string;
  public readonly principalType: PrincipalType = 'ServicePrincipal';

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    throwIfInvalid(`workload identity "${this.node.path}"`, validateWorkloadIdentity(props));
    this.resource = new UserAssignedIdentity(this, 'resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    this.subject = `system:serviceaccount:${props.namespace}:${props.serviceAccountName}`;
    const credentialName = `k8s-${props.namespace}-${props.serviceAccountName}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 120);
    this.credential = addFederatedCredentials(this, this.resource, props.oidcIssuerUrl, [{ credentialName, subject: this.subject }])[credentialName];
    this.clientId = this.resource.clientId;
    this.principalId = this.resource.principalId;
  }
}
