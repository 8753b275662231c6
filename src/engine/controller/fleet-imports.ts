// The status page's imports (config `mcs: true`): per multi-cluster service, who exports it,
// where this instance's ServiceImport stands, and one state in the page's words. Read from the
// MCS caches and what the MCS reconciler remembers of its last runs; changes nothing.
//
// Like the export edges, exporters are read without the stale policy: a stale cluster that
// holds a ServiceExport makes the service stale even under `withdraw`, which left it out of
// the merge, so a withdrawn exporter is still seen as the reason for what changed.
import type { Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { isOwned } from '../../vocab/labels.ts';
import { serviceKey, splitServiceKey, type ServiceKey } from '../../vocab/keys.ts';
import type { ServiceImportType } from '../../vocab/mcs.ts';
import type { EdgeState, FleetImport } from '../../model/fleet-view.ts';
import type { ClusterHealth } from './health.ts';
import type { McsState } from './mcs-reconciler.ts';
import { allMcsKeys, mcsServiceKey, type McsTopology } from './mcs-topology.ts';
import type { DestinationOutcome } from './reconciler.ts';
import type { DestinationCaches } from './topology.ts';

export type { FleetImport } from '../../model/fleet-view.ts';

/** What the MCS reconciler remembers of its last runs. */
export interface McsRecord {
  states(): readonly McsState[];
  /** By "namespace/name". */
  lastOutcome(key: ServiceKey): DestinationOutcome | undefined;
}

export interface FleetImportsInput {
  config: Config;
  topology: McsTopology;
  record: McsRecord;
  /** The replica side's destination caches: whose namespaces say where an import belongs. */
  destinations: ReadonlyMap<string, DestinationCaches>;
  health: ReadonlyMap<string, ClusterHealth>;
}

/** One row per multi-cluster service any cache or the last reconciles know of, by key. */
export function fleetImports(input: FleetImportsInput): FleetImport[] {
  const { config, topology, record } = input;
  const states = new Map(record.states().map((s) => [serviceKey(s.namespace, s.name), s]));
  const keys = new Set([...allMcsKeys(topology, config.instance).map(mcsServiceKey), ...states.keys()]);
  const out: FleetImport[] = [];
  for (const key of [...keys].sort(cmp)) {
    const state = states.get(key);
    const holders = exportHolders(topology, key);
    const imports = ownedImports(input, key);
    // Only derived slices or Services left behind: nothing to show until they are collected.
    if (!state && holders.length === 0 && imports.length === 0) continue;
    const { namespace, name } = splitServiceKey(key);
    const row: FleetImport = {
      key, namespace, name,
      exporters: state?.exporters ?? [],
      importedIn: imports.map((i) => i.cluster),
      ips: imports.filter((i) => i.ips.length > 0).map(({ cluster, ips }) => ({ cluster, ips })),
      ...judge(input, key, state, holders, imports.map((i) => i.cluster)),
    };
    const type = imports[0]?.type;
    if (type) row.type = type;
    out.push(row);
  }
  return out;
}

/** Clusters whose cache holds a ServiceExport of the key, in config order, whatever their staleness. */
function exportHolders(topology: McsTopology, key: ServiceKey): string[] {
  return [...topology.sources.values()].filter((s) => s.exports.has(key)).map((s) => s.cluster);
}

function ownedImports(input: FleetImportsInput, key: ServiceKey): { cluster: string; type: ServiceImportType; ips: string[] }[] {
  const out: { cluster: string; type: ServiceImportType; ips: string[] }[] = [];
  for (const d of input.topology.destinations.values()) {
    const si = d.imports.get(key);
    if (si && isOwned(si.metadata, input.config.instance)) out.push({ cluster: d.cluster, type: si.spec.type, ips: si.spec.ips ?? [] });
  }
  return out.sort((a, b) => cmp(a.cluster, b.cluster));
}

/** Worst first, as for an edge: failing, conflict, stale, pending, in sync. */
function judge(input: FleetImportsInput, key: ServiceKey, state: McsState | undefined, holders: readonly string[], importedIn: readonly string[]): { state: EdgeState; detail?: string } {
  const outcome = input.record.lastOutcome(key);
  if (outcome && !outcome.ok) return { state: 'failing', detail: outcome.error ?? 'the last reconcile failed' };
  const invalid = (state?.invalid ?? []).map((i) => `${i.cluster}: ${i.reason} (${i.message})`).join('; ');
  if (state && state.problems.length > 0) return { state: 'conflict', detail: state.problems.map((p) => `${p.cluster}: ${p.message}`).join('; ') };
  if (state && state.conflicts.length > 0) return { state: 'conflict', detail: state.conflicts.map((c) => `${c.reason}: ${c.message}`).join('; ') };
  // Every export of it is invalid: nothing can be imported until one is fixed.
  if (state && state.exporters.length === 0 && invalid) return { state: 'conflict', detail: `no valid export: ${invalid}` };
  const stale = [...new Set([...holders, ...(state?.exporters ?? [])])].filter((c) => input.health.get(c)?.stale);
  if (stale.length > 0) {
    const policy = new Map(input.config.clusters.map((c) => [c.name, c.stalePolicy]));
    return { state: 'stale', detail: stale.map((c) => `${c} unreachable${sinceOf(input.health.get(c))}; stale policy ${policy.get(c) ?? 'keep'} applies`).join('; ') };
  }
  if (!outcome) return { state: 'pending', detail: 'not reconciled here yet' };
  const { namespace } = splitServiceKey(key);
  const written = [...input.topology.destinations.keys()];
  const noNamespace = written.filter((c) => !(input.destinations.get(c)?.namespaces.has(namespace) ?? false));
  const missing = (state?.exporters.length ?? 0) > 0 ? written.filter((c) => !importedIn.includes(c) && !noNamespace.includes(c)) : [];
  if (missing.length > 0) return { state: 'pending', detail: `no ServiceImport yet in ${missing.join(', ')}` };
  const notes = [
    ...(invalid ? [`not valid: ${invalid}`] : []),
    ...((state?.exporters.length ?? 0) > 0 && noNamespace.length > 0 ? [`not imported in ${noNamespace.join(', ')}: no namespace ${namespace} there`] : []),
  ];
  return notes.length > 0 ? { state: 'in-sync', detail: notes.join('; ') } : { state: 'in-sync' };
}

function sinceOf(h: ClusterHealth | undefined): string {
  return h?.unhealthySince ? ` since ${h.unhealthySince}` : '';
}
