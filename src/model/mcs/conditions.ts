// The conditions mcsync reports on each constituent ServiceExport, as the v1beta1 API defines
// them: Valid, Ready and Conflict, each with reason, message and lastTransitionTime (kept from
// the previous condition when its status did not change). Conditions of other types, set by
// someone else, are left as they are. Pure: `now` comes in.
import type { Condition, ConditionStatus } from '../../vocab/mcs.ts';
import type { Merge } from './merge.ts';

export const MCS_CONDITION_TYPES = ['Valid', 'Ready', 'Conflict'] as const;

function condition(type: string, status: ConditionStatus, reason: string, message: string): Omit<Condition, 'lastTransitionTime'> {
  return { type, status, reason, message };
}

/** What a cluster's export should say, from the merge of every constituent. */
export function desiredConditions(merge: Merge, cluster: string): Omit<Condition, 'lastTransitionTime'>[] {
  const invalid = merge.invalid.find((i) => i.cluster === cluster);
  if (invalid) {
    return [
      condition('Valid', 'False', invalid.reason, invalid.message),
      condition('Ready', 'False', 'Pending', 'the export is not valid, so nothing is imported from this cluster'),
    ];
  }
  const merged = merge.merged;
  if (!merged || !merged.constituents.some((c) => c.cluster === cluster)) return [];
  const out = [
    condition('Valid', 'True', 'Valid', 'the Service exists and can be exported'),
    condition('Ready', 'True', 'Exported', `imported in the clusterset from ${merged.constituents.map((c) => c.cluster).join(', ')}`),
  ];
  if (merged.conflicts.length === 0) out.push(condition('Conflict', 'False', 'NoConflicts', 'every constituent export agrees'));
  else out.push(condition('Conflict', 'True', merged.conflicts.map((c) => c.reason).join(','), merged.conflicts.map((c) => c.message).join('; ')));
  return out;
}

/**
 * The export's new condition list: mcsync's types replaced by `wanted` (timestamps kept where
 * the status is unchanged), every other type kept, in a fixed order.
 */
export function nextConditions(previous: readonly Condition[] | undefined, wanted: readonly Omit<Condition, 'lastTransitionTime'>[], now: string, generation?: number): Condition[] {
  const before = new Map((previous ?? []).map((c) => [c.type, c]));
  const ours = wanted.map((w) => {
    const old = before.get(w.type);
    const c: Condition = { ...w, lastTransitionTime: old && old.status === w.status ? old.lastTransitionTime : now };
    if (generation !== undefined) c.observedGeneration = generation;
    return c;
  });
  const foreign = (previous ?? []).filter((c) => !(MCS_CONDITION_TYPES as readonly string[]).includes(c.type));
  return [...ours, ...foreign];
}

/** A condition's timestamp: whole seconds, as the apiserver's own metav1.Time has them. */
export function conditionTime(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}
