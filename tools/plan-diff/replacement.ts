/** Decides whether an update replaces the resource, using the force-new table (pure). */
import { isIgnored, valueAt } from './attributes';
import { changed, rulesFor } from './force-new';
import type { JsonObject } from './json';
import type { ForcedBy } from './model';

export interface ReplacementAnalysis {
  /** False when the resource type has no table: the change is shown as an update with a note. */
  readonly known: boolean;
  readonly forcedBy: readonly ForcedBy[];
  readonly warnings: readonly string[];
}

function code(text: string): string {
  return `\`${text}\``;
}

function rotationWarning(rotated: readonly string[], rotationAttribute: string, after: JsonObject): string {
  const list = rotated.map(code).join(', ');
  const temporary = valueAt(after, rotationAttribute);
  if (typeof temporary === 'string' && temporary !== '') {
    return `changing ${list} cycles the node pool through the temporary pool ${code(temporary)}: nodes are recreated (the resource itself is kept)`;
  }
  return `apply will fail: azurerm 4.x needs ${code(rotationAttribute)} to change ${list} (it cycles the node pool; it does not replace the resource)`;
}

export function analyzeReplacement(
  type: string,
  before: JsonObject,
  after: JsonObject,
  ignored: { readonly all: boolean; readonly paths: readonly string[] },
): ReplacementAnalysis {
  const rules = rulesFor(type);
  if (rules === undefined) return { known: false, forcedBy: [], warnings: [] };
  const forcedBy: ForcedBy[] = [];
  const rotated: string[] = [];
  for (const row of rules.rows) {
    if (row.effect === 'in-place' || isIgnored(row.attribute, ignored)) continue;
    const predicate = row.when ?? changed;
    if (!predicate(valueAt(before, row.attribute), valueAt(after, row.attribute))) continue;
    if (row.effect === 'replace') forcedBy.push({ attribute: row.attribute, condition: row.condition, source: row.source });
    else rotated.push(row.attribute);
  }
  const warnings = rotated.length > 0 && rules.rotationAttribute !== undefined ? [rotationWarning(rotated, rules.rotationAttribute, after)] : [];
  return { known: true, forcedBy, warnings };
}
