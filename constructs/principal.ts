import { createHash } from 'node:crypto';
import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { ValidationError, describe } from './validation';

/** The kinds of Entra ID principal a role can be assigned to. Managed identities are service principals. */
export type PrincipalType = 'ServicePrincipal' | 'User' | 'Group';

/** Anything a role can be assigned to: a managed identity, a kubelet identity, a group. */
export interface IPrincipal {
  /** The principal's Entra ID object ID (for a managed identity, its `principal_id`). */
  readonly principalId: string;
  /** The principal's kind. Setting it lets Azure skip the directory lookup that fails for brand-new principals. */
  readonly principalType: PrincipalType;
}

/**
 * Roles this kit never assigns: each grants far more than any construct here needs.
 * Least privilege is enforced here, in the one function every grant goes through.
 */
export const FORBIDDEN_ROLES: readonly string[] = ['Owner', 'Contributor', 'User Access Administrator'];

export interface RoleGrant {
  /** Who receives the role. */
  readonly principal: IPrincipal;
  /** Role name, for example `AcrPull`. */
  readonly role: string;
  /** Resource ID of a custom role definition named `role` (created in the same run, so its name cannot be looked up yet). @default - `role` is a built-in role, assigned by name */
  readonly roleDefinitionId?: string;
  /** The resource ID the role applies to. */
  readonly scope: string;
  /** A short note stored on the assignment. @default - none */
  readonly description?: string;
  /** An ABAC condition (version 2.0) that narrows what the role allows. @default - none */
  readonly condition?: string;
}

/**
 * Creates one role assignment. It sets `principal_type`, and for service principals
 * `skip_service_principal_aad_check`, so that assigning a role to an identity created
 * in the same run does not fail with PrincipalNotFound while Entra ID replicates it.
 */
export function assignRole(scope: Construct, id: string, grant: RoleGrant): RoleAssignment {
  if (FORBIDDEN_ROLES.includes(grant.role)) {
    throw new ValidationError(`role assignment "${id}"`, [{
      field: 'role',
      message: `${describe(grant.role)} is never assigned by this kit; use a narrower built-in role (for example AcrPush, Reader or Azure Kubernetes Service RBAC Writer)`,
    }]);
  }
  return new RoleAssignment(scope, id, {
    principalId: grant.principal.principalId,
    principalType: grant.principal.principalType,
    skipServicePrincipalAadCheck: grant.principal.principalType === 'ServicePrincipal' ? true : undefined,
    roleDefinitionName: grant.roleDefinitionId === undefined ? grant.role : undefined,
    roleDefinitionId: grant.roleDefinitionId,
    scope: grant.scope,
    description: grant.description,
    condition: grant.condition,
    conditionVersion: grant.condition ? '2.0' : undefined,
  });
}

/**
 * A stable construct id for granting `role` to `principal`: the role plus a short hash of the
 * principal's resolved reference (for example `${azurerm_user_assigned_identity.x.principal_id}`),
 * so the id stays the same from one synth to the next and differs per principal.
 */
export function grantId(scope: Construct, role: string, principal: IPrincipal): string {
  const resolved = JSON.stringify(
    Tokenization.resolve(principal.principalId, { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }),
  );
  const hash = createHash('sha256').update(resolved).digest('hex').slice(0, 8);
  return `${role.replace(/[^A-Za-z0-9]/g, '')}-${hash}`;
}
