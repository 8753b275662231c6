// Checks the schema cannot express: references between clusters, selector syntax, label and
// annotation keys, and the ordering of the leader-election timings.
import { DEFAULTS } from './defaults.ts';
import { durationMs } from './duration.ts';
import type { Add, Path } from './positions.ts';
import { isRecord, records } from './raw.ts';
import { parseLabelSelector } from '../vocab/selector.ts';
import { isLabelValue, keyProblem } from '../vocab/names.ts';
import { parseCidr } from '../vocab/cidr.ts';
import { MCS_SERVICE_NAME, MCS_SOURCE_CLUSTER, SERVICE_NAME, SLICE_MANAGED_BY } from '../vocab/labels.ts';
import { checkInventory } from './inventory-checks.ts';

export function checkSemantics(raw: unknown, add: Add): void {
  if (!isRecord(raw)) return;
  const clusters = records(raw['clusters']);
  const firstIndex = new Map<string, number>();
  for (const [c, i] of clusters) {
    const name = c['name'];
    if (typeof name !== 'string') continue;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else add(['clusters', i, 'name'], `duplicate cluster name "${name}" (already used by clusters[${first}])`);
  }
  const known = [...firstIndex.keys()];
  // With an inventory, a name the file does not list may be one of its clusters: that is
  // checked when the inventory is read (engine/inventory.ts), with the same words.
  const hasInventory = raw['inventory'] !== undefined;
  if (raw['clusters'] === undefined && !hasInventory) add(['clusters'], 'missing required field "clusters" (or an inventory that gives the clusters)');

  const checkExportTo = (list: unknown, path: Path, self: unknown): void => {
    if (!Array.isArray(list)) return;
    list.forEach((dest, k) => {
      if (typeof dest !== 'string' || dest === '') return;
      if (dest === self) add([...path, k], `"${dest}" is this cluster itself; replicas only go to other clusters`);
      else if (!firstIndex.has(dest) && !hasInventory) add([...path, k], `unknown cluster "${dest}" (the clusters are: ${known.join(', ')})`);
    });
  };

  for (const [c, i] of clusters) checkClusterLike(c, ['clusters', i], 'cluster', checkExportTo, add);
  if (hasInventory) checkInventory(raw['inventory'], (c, base) => checkClusterLike(c, base, 'rule', checkExportTo, add), add);
  checkLeaderElection(raw['leaderElection'], firstIndex, known, hasInventory, add);
}

/** The fields a file cluster and an inventory rule share: services, exportTo, replica metadata, pod CIDRs. */
function checkClusterLike(
  c: Record<string, unknown>,
  base: Path,
  what: 'cluster' | 'rule',
  checkExportTo: (list: unknown, path: Path, self: unknown) => void,
  add: Add,
): void {
  checkExportTo(c['exportTo'], [...base, 'exportTo'], c['name']);
  const services = c['services'];
  for (const [entry, j] of records(services)) {
    const path: Path = [...base, 'services', j];
    const selector = entry['labelSelector'];
    if (typeof selector === 'string' && selector !== '') {
      try {
        parseLabelSelector(selector);
      } catch (err) {
        add([...path, 'labelSelector'], `invalid label selector ${JSON.stringify(selector)}: ${(err as Error).message}`);
      }
    }
    checkExportTo(entry['exportTo'], [...path, 'exportTo'], c['name']);
  }
  // Without entries these cluster-level defaults apply to nothing; silently ignoring them is
  // exactly what the strict schema exists to prevent.
  if (services === undefined || (Array.isArray(services) && services.length === 0)) {
    for (const key of ['nameMatches', 'exportTo']) {
      if (c[key] !== undefined) {
        add([...base, key], `has no effect: this ${what} has no services entries to apply it to (add services: [{}] to export all its Services)`);
      }
    }
  }
  checkReplicaMetadata(c['replicaLabels'], [...base, 'replicaLabels'], 'label', add);
  checkReplicaMetadata(c['replicaAnnotations'], [...base, 'replicaAnnotations'], 'annotation', add);
  checkPodCidrs(c['podCIDRs'], [...base, 'podCIDRs'], add);
}

/** client-go's rule: retryPeriod < renewDeadline < leaseDuration, or a leader loses its lease while renewing on time. */
function checkLeaderElection(le: unknown, clusters: Map<string, number>, known: string[], hasInventory: boolean, add: Add): void {
  if (!isRecord(le)) return;
  const cluster = le['cluster'];
  if (typeof cluster === 'string' && cluster !== '' && !clusters.has(cluster) && !hasInventory) {
    add(['leaderElection', 'cluster'], `unknown cluster "${cluster}" (the clusters are: ${known.join(', ')})`);
  }
  const ms = (key: 'leaseDuration' | 'renewDeadline' | 'retryPeriod'): number | undefined => {
    const v = le[key] ?? DEFAULTS.leaderElection[key];
    try {
      return typeof v === 'number' || typeof v === 'string' ? durationMs(v) : undefined;
    } catch {
      return undefined;
    }
  };
  const lease = ms('leaseDuration');
  const renew = ms('renewDeadline');
  const retry = ms('retryPeriod');
  if (lease === undefined || renew === undefined || retry === undefined || [lease, renew, retry].some(Number.isNaN)) return;
  if (renew >= lease) add(['leaderElection', le['renewDeadline'] !== undefined ? 'renewDeadline' : 'leaseDuration'], 'renewDeadline must be shorter than leaseDuration');
  if (retry >= renew) add(['leaderElection', le['retryPeriod'] !== undefined ? 'retryPeriod' : 'renewDeadline'], 'retryPeriod must be shorter than renewDeadline');
}

const RESERVED_PREFIX = 'mcsync.io/';
/** Labels mcsync sets on replicas itself; a user value would detach slices from their Service. */
const MCSYNC_WRITTEN_LABELS = [SERVICE_NAME, SLICE_MANAGED_BY, MCS_SOURCE_CLUSTER, MCS_SERVICE_NAME];

function checkReplicaMetadata(map: unknown, path: Path, kind: 'label' | 'annotation', add: Add): void {
  if (!isRecord(map)) return;
  for (const [key, value] of Object.entries(map)) {
    const at: Path = [...path, key];
    const problem = keyProblem(key);
    if (problem !== undefined) add(at, `"${key}" is not a valid ${kind} key: it ${problem}`);
    else if (key.startsWith(RESERVED_PREFIX)) add(at, `"${key}" uses the reserved prefix ${RESERVED_PREFIX}, which only mcsync writes`);
    else if (kind === 'label' && MCSYNC_WRITTEN_LABELS.includes(key)) add(at, `"${key}" is set by mcsync on every replica and cannot be overridden`);
    if (kind === 'label' && typeof value === 'string' && !isLabelValue(value)) {
      add(at, `${JSON.stringify(value)} is not a valid label value: at most 63 letters, digits, -, _ and ., starting and ending alphanumeric`);
    }
  }
}

/** Each block must parse; an empty list would replicate nothing and is surely a mistake. */
function checkPodCidrs(list: unknown, path: Path, add: Add): void {
  if (!Array.isArray(list)) return;
  if (list.length === 0) add(path, 'is empty: it would replicate no endpoint of this cluster (leave podCIDRs out to use the Nodes\' spec.podCIDRs)');
  list.forEach((text, k) => {
    if (typeof text !== 'string' || text === '') return;
    const cidr = parseCidr(text);
    if (!cidr) add([...path, k], `${JSON.stringify(text)} is not a CIDR block (e.g. 10.244.0.0/16 or fd00:10:244::/56)`);
    else if (cidr.bits === 0) add([...path, k], `${JSON.stringify(text)} is every address: it would let this cluster's slices point anywhere`);
  });
}
