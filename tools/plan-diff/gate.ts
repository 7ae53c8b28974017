/** The `--fail-on` gate: protected stacks, acknowledgments and the pass/block decision (pure). */
import type { PlanDiff, PreventDestroy } from './model';

export type GateAction = 'replace' | 'destroy';
export const GATE_ACTIONS: readonly GateAction[] = ['replace', 'destroy'];

/** Always protected, whatever the environment configuration says. */
export const ALWAYS_PROTECTED: readonly string[] = ['state-bootstrap'];

export interface Acknowledgment {
  readonly action: GateAction;
  readonly stack: string;
  /** Construct path prefix (`registry`), a resource address, or empty for the whole stack. */
  readonly prefix: string;
  readonly line: string;
}

export interface Violation {
  readonly stack: string;
  readonly action: GateAction;
  readonly address: string;
  readonly constructPath: string;
  /** A replace/destroy of a `prevent_destroy` resource: blocked in any stack, and no acknowledgment allows it. */
  readonly preventDestroy?: PreventDestroy;
  /** The head address when the destroy is an address change (the fix is a move, not a destroy). */
  readonly addressChangeTo?: string;
}

export interface AllowedViolation {
  readonly violation: Violation;
  readonly acknowledgment: Acknowledgment;
}

export interface GateOptions {
  readonly failOn: ReadonlySet<GateAction>;
  readonly protectedStacks: ReadonlySet<string>;
  readonly acknowledgments: readonly Acknowledgment[];
}

export interface GateResult {
  readonly failOn: readonly GateAction[];
  readonly protectedStacks: readonly string[];
  readonly blocked: readonly Violation[];
  readonly allowed: readonly AllowedViolation[];
  /** Acknowledgments that match a `prevent_destroy` change: not honoured, the change stays blocked. */
  readonly refused: readonly AllowedViolation[];
  readonly applied: readonly Acknowledgment[];
  readonly unused: readonly Acknowledgment[];
  readonly passed: boolean;
}

const ACK_LINE = /^[\s>*\-+`]*plan-diff:\s*allow\s+(replace|destroy)\s+([^\s`]+)/i;

/** Lines like `plan-diff: allow replace platform-prod/registry` (also inside Markdown bullets or quotes). */
export function parseAcknowledgments(text: string): Acknowledgment[] {
  return text.split(/\r?\n/).flatMap((rawLine) => {
    const match = ACK_LINE.exec(rawLine);
    if (!match) return [];
    const target = match[2].replace(/\/+$/, '');
    const slash = target.indexOf('/');
    return [
      {
        action: match[1].toLowerCase() as GateAction,
        stack: slash === -1 ? target : target.slice(0, slash),
        prefix: slash === -1 ? '' : target.slice(slash + 1),
        line: `plan-diff: allow ${match[1].toLowerCase()} ${target}`,
      },
    ];
  });
}

/**
 * `platform-<env>` and every `workload-<env>-<app>` are protected when `<env>` is; `state-bootstrap` always is.
 * Environment and application names may hold hyphens, so a workload stack counts as protected when any protected
 * environment's prefix fits it (config validation keeps the derived names apart).
 */
export function protectedStacksFromEnvironments(stacks: Iterable<string>, protection: Readonly<Record<string, boolean>>): Set<string> {
  const result = new Set<string>();
  const protectedEnvs = Object.entries(protection).filter(([, on]) => on).map(([env]) => env);
  for (const stack of stacks) {
    const owned = protectedEnvs.some((env) => stack === `platform-${env}` || stack === `workload-${env}` || stack.startsWith(`workload-${env}-`));
    if (ALWAYS_PROTECTED.includes(stack) || owned) result.add(stack);
  }
  return result;
}

export function acknowledgmentMatches(ack: Acknowledgment, violation: Violation): boolean {
  if (ack.action !== violation.action || ack.stack !== violation.stack) return false;
  if (ack.prefix === '' || ack.prefix === violation.address) return true;
  return violation.constructPath === ack.prefix || violation.constructPath.startsWith(`${ack.prefix}/`);
}

/**
 * Replaces/destroys that fail on `--fail-on` in protected stacks, and, in every stack whatever `--fail-on` lists,
 * the replace/destroy of a resource with `lifecycle.prevent_destroy` (see {@link preventDestroyAdvice}).
 */
export function violations(diff: PlanDiff, options: Pick<GateOptions, 'failOn' | 'protectedStacks'>): Violation[] {
  const result: Violation[] = [];
  for (const stack of diff.stacks) {
    const protectedStack = options.protectedStacks.has(stack.stack);
    for (const change of stack.changes) {
      const action = change.action;
      if (action !== 'replace' && action !== 'destroy') continue;
      if (change.preventDestroy === undefined && !(protectedStack && options.failOn.has(action))) continue;
      result.push({
        stack: stack.stack,
        action,
        address: change.address,
        constructPath: change.constructPath,
        ...(change.preventDestroy !== undefined ? { preventDestroy: change.preventDestroy } : {}),
        ...(change.addressChange !== undefined && action === 'destroy' ? { addressChangeTo: change.addressChange.to } : {}),
      });
    }
  }
  return result;
}

export function evaluateGate(diff: PlanDiff, options: GateOptions): GateResult {
  const blocked: Violation[] = [];
  const allowed: AllowedViolation[] = [];
  const refused: AllowedViolation[] = [];
  for (const violation of violations(diff, options)) {
    const acknowledgment = options.acknowledgments.find((ack) => acknowledgmentMatches(ack, violation));
    if (violation.preventDestroy !== undefined) {
      blocked.push(violation);
      if (acknowledgment) refused.push({ violation, acknowledgment });
    } else if (acknowledgment) {
      allowed.push({ violation, acknowledgment });
    } else {
      blocked.push(violation);
    }
  }
  const applied = options.acknowledgments.filter((ack) => allowed.some((a) => a.acknowledgment === ack));
  return {
    failOn: GATE_ACTIONS.filter((a) => options.failOn.has(a)),
    protectedStacks: [...options.protectedStacks].sort(),
    blocked,
    allowed,
    refused,
    applied,
    unused: options.acknowledgments.filter((ack) => !applied.includes(ack) && !refused.some((r) => r.acknowledgment === ack)),
    passed: blocked.length === 0,
  };
}

/** The acknowledgment line that would let a blocked change through. */
export function suggestedAcknowledgment(violation: Violation): string {
  const target = violation.constructPath !== '' ? violation.constructPath.split('/')[0] : violation.address;
  return `plan-diff: allow ${violation.action} ${violation.stack}/${target}`;
}

/** Why a `prevent_destroy` change is blocked whatever the acknowledgments, and how to proceed. */
export function preventDestroyAdvice(violation: Violation): string {
  const why =
    violation.preventDestroy === 'refused'
      ? 'Terraform will refuse this (lifecycle.prevent_destroy is true: the plan fails with "Instance cannot be destroyed")'
      : 'lifecycle.prevent_destroy was true in the base and this change lifts it, so Terraform would destroy the resource';
  const proceed =
    violation.addressChangeTo !== undefined
      ? `if only the address changed, move the state instead of destroying: call .moveFromId("${violation.address}") on the new resource ` +
        `or add moved { from = ${violation.address}, to = ${violation.addressChangeTo} }; to really destroy it, `
      : '';
  return (
    `${why}; an acknowledgment cannot allow it. To proceed: ${proceed}remove prevent_destroy in a separate, reviewed change first ` +
    `and apply it, then this change (with an acknowledgment line if the stack is protected)`
  );
}
