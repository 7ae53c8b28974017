import { Construct } from 'constructs';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { IPrincipal, assignRole, grantId } from './principal';

/** The props every construct that creates one Azure resource takes. */
export interface AzureResourceProps {
  /** The resource's name; each construct says what its resource type allows. Changing it replaces the resource. */
  readonly name: string;
  /** Resource group that holds the resource. */
  readonly resourceGroupName: string;
  /** Azure region of the resource. */
  readonly location: string;
  /** Azure tags on the resource and on the sub-resources the construct creates with it. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Where a grant applies, when not to the whole resource. */
export interface GrantScope {
  /** The resource ID the role applies to, at or under the resource's own ID. */
  readonly scope: string;
  /** Appended to the role assignment's construct id, to tell grants at different sub-scopes apart. */
  readonly idSuffix: string;
}

/**
 * The one base of every Azure resource this kit can grant roles on, created here or imported: it owns how a grant
 * becomes a role assignment. A grant is idempotent: the same role for the same principal at the same scope returns
 * the role assignment made the first time.
 */
export abstract class GrantableResource extends Construct {
  /** The resource's ID: the scope of its role assignments. */
  public abstract readonly id: string;
  private readonly grants = new Map<string, RoleAssignment>();

  /**
   * Assigns `role` to `principal` at this resource (or at `at`, under it). The assignment's construct id is the role
   * and a hash of the principal's reference (plus the sub-scope's suffix), so it stays the same from one synth to
   * the next and a second identical grant finds the first.
   */
  protected grant(principal: IPrincipal, role: string, at?: GrantScope): RoleAssignment {
    const base = grantId(this, role, principal);
    const id = at === undefined ? base : `${base}-${at.idSuffix}`;
    const existing = this.grants.get(id);
    if (existing !== undefined) return existing;
    const assignment = assignRole(this, id, { principal, role, scope: at?.scope ?? this.id });
    this.grants.set(id, assignment);
    return assignment;
  }
}
