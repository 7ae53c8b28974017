import { Construct } from 'constructs';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { IPrincipal, assignRole, grantId } from './principal';
import { Problem, Problems, describe, isToken } from './validation';

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

/** How an imported resource's name is checked: its pattern, what it allows in words, and what the resource is called. */
export interface ImportedName {
  readonly pattern: RegExp;
  readonly allowed: string;
  /** `registry`, `cluster`: for the message when an ID and a name disagree. */
  readonly kind: string;
}

/** Every problem with a lookup of an existing resource by name and resource group. Pure. */
export function validateLookupOf(lookup: { readonly name: string; readonly resourceGroupName: string }, name: ImportedName): Problem[] {
  const p = new Problems();
  if (!p.object('props', lookup)) return p.list;
  p.string('name', lookup.name, name.pattern, name.allowed);
  p.resourceGroup('resourceGroupName', lookup.resourceGroupName);
  return p.list;
}

/**
 * Checks an imported resource's `id` and `name` into `p`, and that the name is the ID's last segment. Returns the
 * collector, for the attributes particular to the resource kind.
 */
export function checkIdAndName(p: Problems, attributes: { readonly id: string; readonly name: string }, id: { readonly pattern: RegExp; readonly allowed: string }, name: ImportedName): Problems {
  const idOk = p.string('id', attributes.id, id.pattern, id.allowed) && !isToken(attributes.id);
  const nameOk = p.string('name', attributes.name, name.pattern, name.allowed) && !isToken(attributes.name);
  if (idOk && nameOk && attributes.id.slice(attributes.id.lastIndexOf('/') + 1).toLowerCase() !== attributes.name.toLowerCase()) {
    p.add('name', `${describe(attributes.name)} is not the ${name.kind} that id ${describe(attributes.id)} names`);
  }
  return p;
}
