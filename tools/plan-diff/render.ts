/** Text and Markdown rendering of a {@link PlanDiff} and a {@link GateResult} (pure). */
import { preventDestroyAdvice, suggestedAcknowledgment, type GateResult, type Violation } from './gate';
import type { ActionCounts, AttributeChange, PlanDiff, ResourceChange, StackDiff } from './model';
import { valuePair, wrapLine } from './wrap';

export type OutputFormat = 'text' | 'markdown';

export interface RenderInput {
  readonly diff: PlanDiff;
  readonly baseLabel: string;
  readonly headLabel: string;
  readonly gate?: GateResult;
  /** Messages about the run itself (fallbacks, skipped inputs). */
  readonly notices?: readonly string[];
  /** Maximum characters of one rendered value (Markdown; text output also fits values to its width). */
  readonly valueWidth?: number;
  /** Columns of the text output (default {@link DEFAULT_TEXT_WIDTH}). */
  readonly width?: number;
}

const DEFAULT_VALUE_WIDTH = 60;
/** Text output wraps at this many columns. */
export const DEFAULT_TEXT_WIDTH = 100;
/** Narrowest text width honoured (narrower requests are widened). */
const MIN_TEXT_WIDTH = 40;

export function totalsLine(stack: string, counts: ActionCounts): string {
  return `${stack}: ${counts.destroy} to destroy, ${counts.replace} to replace, ${counts.update} to update, ${counts.create} to create`;
}

function stackTotals(stack: StackDiff): string {
  if (stack.changes.length === 0) return `${stack.stack}: no changes`;
  const suffix = stack.status === 'added' ? ' (new stack)' : stack.status === 'removed' ? ' (stack removed)' : '';
  return `${totalsLine(stack.stack, stack.counts)}${suffix}`;
}

/** The mark on a replace/destroy of a `prevent_destroy` resource. */
export function preventDestroyMark(change: ResourceChange): { text: string; markdown: string } | undefined {
  if (change.preventDestroy === 'refused') {
    const detail = 'lifecycle.prevent_destroy is true, so the plan fails with "Instance cannot be destroyed"';
    return { text: `!! Terraform will refuse this: ${detail}`, markdown: `🛑 **Terraform will refuse this**: ${detail.replace('lifecycle.prevent_destroy', '`lifecycle.prevent_destroy`')}` };
  }
  if (change.preventDestroy === 'lifted') {
    const detail =
      change.action === 'destroy'
        ? 'prevent_destroy was true in the base, but the flag goes with the removed resource block, so Terraform will not refuse this: the protected resource is destroyed'
        : 'prevent_destroy was true in the base and this change removes it, so Terraform will not refuse this: the protected resource is replaced';
    return { text: `!! ${detail}`, markdown: `🛑 **${detail.replace('prevent_destroy', '`prevent_destroy`')}**` };
  }
  return undefined;
}

interface DetailLine {
  readonly kind: 'change' | 'forced' | 'warning' | 'note' | 'prevent-destroy';
  readonly text: string;
  /** Markdown variant (code spans). */
  readonly markdown: string;
  /** For a change: its parts, so text output can put each side on its own line when the line is too long. */
  readonly parts?: { readonly path: string; readonly before: string; readonly after: string; readonly mark: string };
}

function changeLine(change: AttributeChange, valueWidth: number): DetailLine {
  const [before, after] = valuePair(change.before, change.after, change.sensitive, valueWidth);
  const mark = change.forcesReplacement ? ' [forces replacement]' : '';
  return {
    kind: 'change',
    text: `${change.path}: ${before} → ${after}${mark}`,
    markdown: `${mdCode(change.path)}: ${mdCode(before)} → ${mdCode(after)}${change.forcesReplacement ? ' **(forces replacement)**' : ''}`,
    parts: { path: change.path, before, after, mark },
  };
}

function stripBackticks(text: string): string {
  return text.replace(/`/g, '');
}

function detailLines(change: ResourceChange, valueWidth: number): DetailLine[] {
  const lines: DetailLine[] = [];
  const mark = preventDestroyMark(change);
  if (mark) lines.push({ kind: 'prevent-destroy', ...mark });
  lines.push(...change.changes.map((c) => changeLine(c, valueWidth)));
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

/** One detail line at `indent`, wrapped; a change that does not fit shows `path:`, then each side on its own line. */
function wrapDetail(line: DetailLine, width: number, indent: string): string[] {
  const hanging = `${indent}  `;
  if (line.parts === undefined || indent.length + line.text.length <= width) return wrapLine(line.text, width, indent, hanging);
  const { path, before, after, mark } = line.parts;
  return [
    ...wrapLine(`${path}:`, width, indent, hanging),
    ...wrapLine(before, width, hanging, `${hanging}  `),
    ...wrapLine(`→ ${after}${mark}`, width, hanging, `${hanging}  `),
  ];
}

/**
 * Columns ACTION, RESOURCE and CONSTRUCT PATH, then each change's details on the lines below it, indented under
 * RESOURCE and wrapped at `width`. A resource address longer than its column runs on and puts the construct path
 * on the next line, still in its column; tokens longer than a line are broken, so no line is wider than `width`.
 */
function textTable(changes: readonly ResourceChange[], width: number, valueWidth: number): string[] {
  const indent = '  ';
  const gap = '  ';
  const actionWidth = Math.max('ACTION'.length, ...changes.map((c) => c.action.length));
  const resourceColumn = indent.length + actionWidth + gap.length;
  const longestPath = Math.max('CONSTRUCT PATH'.length, ...changes.map((c) => (c.constructPath || '-').length));
  const pathWidth = Math.min(longestPath, Math.floor((width - resourceColumn) / 2) - gap.length);
  const longestAddress = Math.max('RESOURCE'.length, ...changes.map((c) => c.address.length));
  const resourceWidth = Math.min(longestAddress, width - resourceColumn - gap.length - pathWidth);
  const pathColumn = resourceColumn + resourceWidth + gap.length;
  const detailIndent = ' '.repeat(resourceColumn + 2);
  const detailValueWidth = Math.max(12, Math.min(valueWidth, width - detailIndent.length - 6));

  const row = (action: string, address: string, constructPath: string): string[] => {
    const lead = `${indent}${pad(action, actionWidth)}${gap}`;
    const addressLines = wrapLine(address, width, lead, ' '.repeat(resourceColumn));
    const last = addressLines.length - 1;
    const pathIndent = ' '.repeat(pathColumn);
    const [firstPathLine, ...continuation] = wrapLine(constructPath, width, pathIndent, pathIndent);
    const firstPath = firstPathLine.slice(pathColumn);
    if (addressLines[last].length + gap.length <= pathColumn) {
      addressLines[last] = `${pad(addressLines[last], pathColumn)}${firstPath}`;
      return [...addressLines, ...continuation];
    }
    return [...addressLines, firstPathLine, ...continuation];
  };

  const rows = row('ACTION', 'RESOURCE', 'CONSTRUCT PATH');
  for (const change of changes) {
    rows.push(...row(change.action, change.address, change.constructPath || '-'));
    for (const line of detailLines(change, detailValueWidth)) rows.push(...wrapDetail(line, width, detailIndent));
  }
  return rows.map((r) => r.trimEnd());
}

function textStack(stack: StackDiff, width: number, valueWidth: number): string[] {
  const lines: string[] = [];
  if (stack.changes.length > 0) {
    const title = stack.status === 'added' ? `${stack.stack} (new stack)` : stack.status === 'removed' ? `${stack.stack} (stack removed: every resource is destroyed)` : stack.stack;
    lines.push(...wrapLine(title, width), ...textTable(stack.changes, width, valueWidth));
  }
  for (const move of stack.moves) {
    if (!stack.changes.some((c) => c.movedFrom === move.from)) lines.push(...wrapLine(`moved without changes: ${move.from} → ${move.to}`, width, '  ', '    '));
  }
  lines.push(...wrapLine(stackTotals(stack), width), '');
  return lines;
}

function violationText(v: Violation): string {
  return `${v.stack}: ${v.action} ${v.address}${v.constructPath ? ` (${v.constructPath})` : ''}`;
}

function textGate(gate: GateResult, width: number): string[] {
  const item = (text: string) => wrapLine(text, width, '  ', '    ');
  const advice = (text: string) => wrapLine(text, width, '    ', '    ');
  const lines = wrapLine(
    `Gate: fail on ${gate.failOn.join(', ')} in protected stacks (${gate.protectedStacks.length > 0 ? gate.protectedStacks.join(', ') : 'none'}), ` +
      'and on a replace or destroy of a prevent_destroy resource in any stack',
    width,
    '',
    '  ',
  );
  for (const { violation, acknowledgment } of gate.allowed) {
    lines.push(...item(`acknowledgment applied: "${acknowledgment.line}" allows ${violationText(violation)}`));
  }
  for (const { violation, acknowledgment } of gate.refused) {
    lines.push(...item(`acknowledgment not honoured: "${acknowledgment.line}" matches ${violationText(violation)}, a prevent_destroy resource`));
  }
  for (const ack of gate.unused) lines.push(...item(`acknowledgment matched no change: "${ack.line}"`));
  for (const violation of gate.blocked) {
    lines.push(...item(`BLOCKED ${violationText(violation)}`));
    if (violation.preventDestroy !== undefined) lines.push(...advice(preventDestroyAdvice(violation)));
    else lines.push(...advice(`to allow it, add this line to the PR description: ${suggestedAcknowledgment(violation)}`));
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
  const width = Math.max(MIN_TEXT_WIDTH, input.width ?? DEFAULT_TEXT_WIDTH);
  const valueWidth = input.valueWidth ?? width;
  const lines = wrapLine(`plan-diff: base ${input.baseLabel} → head ${input.headLabel}`, width, '', '  ');
  lines.push('');
  for (const notice of input.notices ?? []) lines.push(...wrapLine(`note: ${notice}`, width, '', '  '));
  if ((input.notices ?? []).length > 0) lines.push('');
  if (input.diff.stacks.length === 0) lines.push('no stacks found in either synthesis', '');
  for (const stack of input.diff.stacks) lines.push(...textStack(stack, width, valueWidth));
  const sources = sourcesUsed(input.diff);
  if (sources.length > 0) lines.push('Replacement rules applied:', ...sources.flatMap((s) => wrapLine(s, width, '  ', '    ')), '');
  if (input.gate) lines.push(...textGate(input.gate, width));
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
    `Fails on ${gate.failOn.map(mdCode).join(', ')} in protected stacks (${gate.protectedStacks.length > 0 ? gate.protectedStacks.map(mdCode).join(', ') : 'none'}), ` +
      `and on a replace or destroy of a ${mdCode('prevent_destroy')} resource in any stack.`,
    '',
  ];
  for (const { violation, acknowledgment } of gate.allowed) {
    lines.push(`- acknowledgment applied: ${mdCode(acknowledgment.line)} allows ${mdCode(violationText(violation))}`);
  }
  for (const { violation, acknowledgment } of gate.refused) {
    lines.push(`- acknowledgment not honoured: ${mdCode(acknowledgment.line)} matches ${mdCode(violationText(violation))}, a ${mdCode('prevent_destroy')} resource`);
  }
  for (const ack of gate.unused) lines.push(`- acknowledgment matched no change: ${mdCode(ack.line)}`);
  for (const violation of gate.blocked) {
    if (violation.preventDestroy !== undefined) {
      lines.push(`- **blocked** ${mdCode(violationText(violation))}: ${preventDestroyAdvice(violation)}`);
    } else {
      lines.push(`- **blocked** ${mdCode(violationText(violation))}: to allow it, add ${mdCode(suggestedAcknowledgment(violation))} to the PR description`);
    }
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
