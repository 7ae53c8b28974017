/** Data model of synthesized stacks and of the computed differences. */
import type { JsonObject, MaybeJson } from './json';

export interface ResourceConfig {
  readonly type: string;
  readonly name: string;
  /** Terraform address, `<type>.<name>`. */
  readonly address: string;
  /** Construct path from `//.metadata.path` without the stack prefix (e.g. `registry/resource`); empty when unknown. */
  readonly constructPath: string;
  /** Resource arguments with every `//` metadata key removed. */
  readonly attributes: JsonObject;
}

export interface MovedBlock {
  readonly from: string;
  readonly to: string;
}

export interface StackConfig {
  readonly name: string;
  readonly resources: ReadonlyMap<string, ResourceConfig>;
  readonly moved: readonly MovedBlock[];
}

/** All stacks of one synthesized `cdktf.out`, by stack name. */
export type SynthOutput = ReadonlyMap<string, StackConfig>;

export type Action = 'create' | 'update' | 'replace' | 'destroy';
export const ACTIONS: readonly Action[] = ['destroy', 'replace', 'update', 'create'];

/** A source-cited reason why an attribute change forces a new resource. */
export interface ForcedBy {
  readonly attribute: string;
  readonly condition: string;
  readonly source: string;
}

export interface AttributeChange {
  readonly path: string;
  readonly before: MaybeJson;
  readonly after: MaybeJson;
  readonly forcesReplacement: boolean;
  readonly sensitive: boolean;
}

export interface AddressChange {
  /** Address in the base synthesis (the resource Terraform would destroy). */
  readonly from: string;
  /** Address in the head synthesis (the resource Terraform would create). */
  readonly to: string;
  readonly fromConstructPath: string;
  readonly toConstructPath: string;
  /** Share of equal leaf attributes, 0..1. */
  readonly similarity: number;
}

/**
 * `lifecycle.prevent_destroy` and a replace/destroy: `refused` when the head still sets it on the resource
 * (Terraform fails the plan: "Instance cannot be destroyed"); `lifted` when only the base set it (the resource
 * block is removed, or this change removes the flag): Terraform then destroys a resource that was protected.
 */
export type PreventDestroy = 'refused' | 'lifted';

export interface ResourceChange {
  readonly action: Action;
  readonly address: string;
  readonly type: string;
  readonly constructPath: string;
  readonly changes: readonly AttributeChange[];
  readonly forcedBy: readonly ForcedBy[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
  readonly addressChange?: AddressChange;
  /** Set when a `moved` block maps the base address to this head address. */
  readonly movedFrom?: string;
  /** Set on a replace or destroy of a resource with `lifecycle.prevent_destroy` (see {@link PreventDestroy}). */
  readonly preventDestroy?: PreventDestroy;
}

export type StackStatus = 'changed' | 'unchanged' | 'added' | 'removed';

export type ActionCounts = Readonly<Record<Action, number>>;

export interface StackDiff {
  readonly stack: string;
  readonly status: StackStatus;
  readonly changes: readonly ResourceChange[];
  readonly counts: ActionCounts;
  /** `moved` blocks honoured in this stack (changes of moved resources, if any, are in `changes`). */
  readonly moves: readonly MovedBlock[];
}

export interface PlanDiff {
  readonly stacks: readonly StackDiff[];
}
