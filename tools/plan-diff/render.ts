/** Text and Markdown rendering of a {@link PlanDiff} and a {@link GateResult} (pure). */
import { suggestedAcknowledgment, type GateResult, type Violation } from './gate';
import { compactJson, type MaybeJson } from './json';
import type { ActionCounts, AttributeChange, PlanDiff, ResourceChange, StackDiff } from './model';

export type OutputFormat = 'text' | 'markdown';

export interface RenderInput {
  readonly diff: PlanDiff;
  readonly baseLabel: string;
  readonly headLabel: string;
  readonly gate?: GateResult;
  /** Messages about the run itself (fallbacks, skipped inputs). */
  readonly notices?: readonly string[];
  /** Maximum characters of one rendered value. */
  readonly valueWidth?: number;
}

const DEFAULT_VALUE_WIDTH = 60;

export function totalsLine(stack: string, counts: ActionCounts): string {
  return `${stack}: ${counts.destroy} to destroy, ${counts.replace} to replace, ${counts.update} to update, ${counts.create} to create`;
}

function stackTotals(stack: StackDiff): string {
  if (stack.changes.length === 0) return `${stack.stack}: no changes`;
  const suffix = stack.status === 'added' ? ' (new stack)' : stack.status === 'removed' ? ' (stack removed)' : '';
  return `${totalsLine(stack.stack, stack.counts)}${suffix}`;
}

function formatValue(value: MaybeJson, sensitive: boolean, width: number): string {
  if (sensitive && value !== undefined && value !== null) return '(sensitive)';
  return compactJson(value, width);
}

interface DetailLine {
  readonly kind: 'change' | 'forced' | 'warning' | 'note';
  readonly text: string;
  /** Markdown variant (code spans). */
  readonly markdown: string;
}

function changeLine(change: AttributeChange, width: number): DetailLine {
  const before = formatValue(change.before, change.sensitive, width);
  const after = formatValue(change.after, change.sensitive, width);
  const mark = change.forcesReplacement ? ' [forces replacement]' : '';
  return {
    kind: 'change',
    text: `${change.path}: ${before} → ${after}${mark}`,
    markdown: `${mdCode(change.path)}: ${mdCode(before)} → ${mdCode(after)}${change.forcesReplacement ? ' **(forces replacement)**' : ''}`,
  };
}

function stripBackticks(text: string): string {
  return text.replace(/`/g, '');
}

function detailLines(change: ResourceChange, width: number): DetailLine[] {
  const lines: DetailLine[] = change.changes.map((c) => changeLine(c, width));
  if (change.forcedBy.length > 0) {
    const list = change.forcedBy.map((f) => (f.condition === 'any change' ? f.attribute : `${f.attribute} (${f.condition})`));
    lines.push({
      kind: 'forced',
      text: `replaced because of: ${list.join(', ')}`,
      markdown: `replaced because of: ${change.forcedBy.map((f) => (f.condition === 'any change' ? mdCode(f.attribute) : `${mdCode(f.attribute)} (${f.condition})`)).join(', ')}`,
    });
  }
  for (const warning of change.warnings) lines.push({ kind: 'warning', text: `warning: ${stripBackticks(warning)}`, markdown: `⚠️ ${warning}` });
  for (const note of change.notes) lines.push({ kind: 'note', text: stripBackticks(note), markdown: note });
  return lines;
}

// ---------------------------------------------------------------- text

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

function textTable(changes: readonly ResourceChange[], width: number): string[] {
  const header = ['ACTION', 'RESOURCE', 'CONSTRUCT PATH', 'DETAILS'];
  const actionWidth = Math.max(header[0].length, ...changes.map((c) => c.action.length));
  const resourceWidth = Math.max(header[1].length, ...changes.map((c) => c.address.length));
  const pathWidth = Math.max(header[2].length, ...changes.map((c) => (c.constructPath || '-').length));
  const indent = '  ';
  const prefixWidth = actionWidth + resourceWidth + pathWidth + 6;
  const rows = [`${indent}${pad(header[0], actionWidth)}  ${pad(header[1], resourceWidth)}  ${pad(header[2], pathWidth)}  ${header[3]}`];
  for (const change of changes) {
    const details = detailLines(change, width);
    const first = `${indent}${pad(change.action, actionWidth)}  ${pad(change.address, resourceWidth)}  ${pad(change.constructPath || '-', pathWidth)}  `;
    rows.push(`${first}${details[0]?.text ?? ''}`.trimEnd());
    for (const line of details.slice(1)) rows.push(`${indent}${' '.repeat(prefixWidth)}${line.text}`);
  }
  return rows;
}

function textStack(stack: StackDiff, width: number): string[] {
  const lines: string[] = [];
  if (stack.changes.length > 0) {
    const title = stack.status === 'added' ? `${stack.stack} (new stack)` : stack.status === 'removed' ? `${stack.stack} (stack removed: every resource is destroyed)` : stack.stack;
    lines.push(title, ...textTable(stack.changes, width));
  }
  for (const move of stack.moves) {
    if (!stack.changes.some((c) => c.movedFrom === move.from)) lines.push(`  moved without changes: ${move.from} → ${move.to}`);
  }
  lines.push(stackTotals(stack), '');
  return lines;
}

function violationText(v: Violation): string {
  return `${v.stack}: ${v.action} ${v.address}${v.constructPath ? ` (${v.constructPath})` : ''}`;
}

function textGate(gate: GateResult): string[] {
  const lines = [
    `Gate: fail on ${gate.failOn.join(', ')} in protected stacks: ${gate.protectedStacks.length > 0 ? gate.protectedStacks.join(', ') : '(none)'}`,
  ];
  for (const { violation, acknowledgment } of gate.allowed) {
    lines.push(`  acknowledgment applied: "${acknowledgment.line}" allows ${violationText(violation)}`);
  }
  for (const ack of gate.unused) lines.push(`  acknowledgment matched no change: "${ack.line}"`);
  for (const violation of gate.blocked) {
    lines.push(`  BLOCKED ${violationText(violation)}; to allow it, add the line "${suggestedAcknowledgment(violation)}" to the PR description`);
  }
  lines.push(gate.passed ? 'Gate: passed' : `Gate: blocked (${gate.blocked.length} change${gate.blocked.length === 1 ? '' : 's'})`);
  return lines;
}

function sourcesUsed(diff: PlanDiff): string[] {
  const sources = new Set<string>();
  for (const stack of diff.stacks) for (const change of stack.changes) for (const f of change.forcedBy) sources.add(`${change.type}.${f.attribute}: ${f.source}`);
  return [...sources].sort();
}

export function renderText(input: RenderInput): string {
  const width = input.valueWidth ?? DEFAULT_VALUE_WIDTH;
  const lines = [`plan-diff: base ${input.baseLabel} → head ${input.headLabel}`, ''];
  for (const notice of input.notices ?? []) lines.push(`note: ${notice}`);
  if ((input.notices ?? []).length > 0) lines.push('');
  if (input.diff.stacks.length === 0) lines.push('no stacks found in either synthesis', '');
  for (const stack of input.diff.stacks) lines.push(...textStack(stack, width));
  const sources = sourcesUsed(input.diff);
  if (sources.length > 0) lines.push('Replacement rules applied:', ...sources.map((s) => `  ${s}`), '');
  if (input.gate) lines.push(...textGate(input.gate));
  return `${lines.join('\n').trimEnd()}\n`;
}

// ---------------------------------------------------------------- markdown

function mdCode(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const padding = fence.length > 1 ? ' ' : '';
  return `${fence}${padding}${text}${padding}${fence}`;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function markdownStack(stack: StackDiff, width: number): string[] {
  const lines: string[] = [];
  if (stack.changes.length === 0 && stack.moves.length === 0) return lines;
  lines.push(`### ${mdCell(stackTotals(stack))}`, '');
  if (stack.changes.length > 0) {
    lines.push('| Action | Resource | Construct path | Details |', '| --- | --- | --- | --- |');
    for (const change of stack.changes) {
      const details = detailLines(change, width).map((l) => l.markdown).join('<br>');
      const action = change.action === 'replace' || change.action === 'destroy' ? `**${change.action}**` : change.action;
      lines.push(`| ${action} | ${mdCell(mdCode(change.address))} | ${change.constructPath ? mdCell(mdCode(change.constructPath)) : ''} | ${mdCell(details)} |`);
    }
    lines.push('');
  }
  for (const move of stack.moves) {
    if (!stack.changes.some((c) => c.movedFrom === move.from)) lines.push(`- moved without changes: ${mdCode(move.from)} → ${mdCode(move.to)}`);
  }
  if (lines[lines.length - 1] !== '') lines.push('');
  return lines;
}

function markdownGate(gate: GateResult): string[] {
  const lines = [
    `### Gate: ${gate.passed ? 'passed ✅' : `blocked ❌ (${gate.blocked.length})`}`,
    '',
    `Fails on ${gate.failOn.map(mdCode).join(', ')} in protected stacks: ${gate.protectedStacks.length > 0 ? gate.protectedStacks.map(mdCode).join(', ') : '(none)'}.`,
    '',
  ];
  for (const { violation, acknowledgment } of gate.allowed) {
    lines.push(`- acknowledgment applied: ${mdCode(acknowledgment.line)} allows ${mdCode(violationText(violation))}`);
  }
  for (const ack of gate.unused) lines.push(`- acknowledgment matched no change: ${mdCode(ack.line)}`);
  for (const violation of gate.blocked) {
    lines.push(`- **blocked** ${mdCode(violationText(violation))}: to allow it, add ${mdCode(suggestedAcknowledgment(violation))} to the PR description`);
  }
  return lines;
}

export function renderMarkdown(input: RenderInput): string {
  const width = input.valueWidth ?? DEFAULT_VALUE_WIDTH;
  const lines = ['## plan-diff', '', `Base: ${mdCode(input.baseLabel)} → head: ${mdCode(input.headLabel)}`, ''];
  for (const notice of input.notices ?? []) lines.push(`> ${notice}`, '');
  for (const stack of input.diff.stacks) lines.push(...markdownStack(stack, width));
  const unchanged = input.diff.stacks.filter((s) => s.changes.length === 0);
  if (unchanged.length > 0) lines.push(...unchanged.map((s) => `- ${mdCode(s.stack)}: no changes`), '');
  const sources = sourcesUsed(input.diff);
  if (sources.length > 0) {
    lines.push('<details><summary>Replacement rules applied</summary>', '', ...sources.map((s) => `- ${s}`), '', '</details>', '');
  }
  if (input.gate) lines.push(...markdownGate(input.gate));
  return `${lines.join('\n').trimEnd()}\n`;
}

export function render(format: OutputFormat, input: RenderInput): string {
  return format === 'markdown' ? renderMarkdown(input) : renderText(input);
}
