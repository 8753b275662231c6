// A plan as the CLI shows it: the action table, conflict and failure lines, and its JSON shape.
import { actionTarget } from '../../model/actions.ts';
import type { Action } from '../../model/types.ts';
import type { ClusterFailure, PlanReport } from '../../engine/plan.ts';
import { red, table, yellow } from '../output.ts';
import { refusedCount } from './rejections.ts';

export function planJson(report: PlanReport) {
  return {
    actions: report.plan.actions.map((a) => ({ cluster: a.cluster, verb: a.verb, kind: a.ref.kind, name: actionTarget(a), reason: a.reason })),
    conflicts: report.plan.conflicts,
    excluded: report.excluded,
    failures: report.failures,
    /** Every address (or port, or slice) the endpoint guard refused, with its source and reason. */
    rejected: report.rejected,
    refused: refusedCount(report.rejected),
    unguarded: report.unguarded,
    ...(report.policies ? { policyProblems: report.policies.problems } : {}),
  };
}

/** The wide table adds SERVICE, the exported Service key an action serves (a slice's name does not say). */
export function actionsTable(actions: readonly Action[], wide = false): string {
  return table(
    ['CLUSTER', 'ACTION', 'KIND', 'NAME', ...(wide ? ['SERVICE'] : []), 'REASON'],
    actions.map((a) => [a.cluster, a.verb, a.ref.kind, actionTarget(a), ...(wide ? [a.key] : []), a.reason]),
  );
}

export function conflictLines(report: PlanReport): string[] {
  return report.plan.conflicts.map((c) => yellow(`conflict: ${c.cluster}: ${c.namespace}/${c.name}: ${c.message}`));
}

/** Spanned NetworkPolicies that are bad input: nothing is written for them. */
export function policyProblemLines(report: PlanReport): string[] {
  return (report.policies?.problems ?? []).map((p) => yellow(`invalid policy: ${p.cluster}: ${p.namespace}/${p.name}: ${p.message}`));
}

export function failureLines(failures: readonly ClusterFailure[]): string[] {
  return failures.map((f) => red(`failed: cluster ${f.cluster} (${f.stage}): ${f.error}`));
}
