// The fault scenarios. Each takes the world and a seed, injects its faults on the seeded
// schedule while the churn runs, and ends with the full check (fresh plan + apiserver counts).
import { renameSync } from 'node:fs';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { startController, type RunningController } from '../../../harness/src/mcsync/controller.ts';
import { compact, currentRevision } from '../../../harness/src/controlplane/etcd.ts';
import { kubeConfigFor } from '../../../harness/src/workload/pods.ts';
import { writeConfig } from '../../../harness/src/mcsync/cli.ts';
import { serviceAccountKubeconfig } from '../kube.ts';
import { rng, type Rng } from './prng.ts';
import { DESTS, type World } from './world.ts';
import type { Outcome } from './outcome.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ScenarioParams {
  runs: number;
  /** Deadline for convergence after each fault. */
  convergeDeadlineMs: number;
  /** How long a source is blackholed / a destination hung. */
  outageMs: number;
}

/** Ends the check of one run: pauses the churn, waits for convergence, counts. */
async function settle(w: World, cfg: string, deadlineMs: number, writesBefore: number, t0 = Date.now()): Promise<Pick<Outcome, 'converged' | 'lost' | 'orphans' | 'duplicates' | 'convergeMs' | 'writes'>> {
  await w.churn.pause();
  const tc = Date.now();
  const ms = await w.convergeMs(cfg, deadlineMs);
  const c = await w.check(cfg);
  return {
    converged: ms !== undefined && c.actions === 0,
    lost: c.lost, orphans: c.orphans, duplicates: c.duplicates,
    convergeMs: ms === undefined ? null : tc - t0 + ms,
    writes: (await w.writes()) - writesBefore,
  };
}

async function start(cfg: string, extra: string[] = []): Promise<RunningController> {
  return startController(['--config', cfg, '--no-watch-config', ...extra]);
}

async function kill(ctl: RunningController): Promise<void> {
  ctl.child.kill('SIGKILL');
  await ctl.exited;
}

/** SIGKILL at random instants: during an initial sync, under churn, around a relist. */
export async function controllerKill(w: World, seed: number, p: ScenarioParams, resyncMs: number): Promise<Outcome[]> {
  const r = rng(seed);
  const cfg = w.writeConfig(`chaos-kill-${seed}.yaml`);
  const out: Outcome[] = [];
  let ctl = await start(cfg);
  await ctl.ready();
  for (let run = 0; run < p.runs; run++) {
    const variant = r.pick(['initial-sync', 'churn', 'relist'] as const);
    w.churn.resume();
    if (variant === 'initial-sync') {
      await kill(ctl);
      ctl = await start(cfg);
      await sleep(r.int(0, 2000));
    } else if (variant === 'churn') {
      await sleep(r.int(500, 5000));
    } else {
      // The relist comes resyncInterval after the start; hit it within ±1 s.
      await sleep(Math.max(0, resyncMs - 1000 + r.int(0, 2000)));
    }
    await kill(ctl);
    await w.churn.pause();
    const w0 = await w.writes();
    const t0 = Date.now();
    ctl = await start(cfg);
    const s = await settle(w, cfg, p.convergeDeadlineMs, w0, t0);
    out.push({ scenario: 'controller-kill', run, seed, variant, ...s });
  }
  await ctl.stop('SIGTERM');
  return out;
}

/** Staleness as /status reports it for cluster a, or undefined if /status did not answer. */
async function statusOfA(ctl: RunningController): Promise<{ connected: boolean; stale: boolean } | undefined> {
  const s = await Promise.race([ctl.status().catch(() => undefined), sleep(2000).then(() => undefined)]);
  return s?.clusters.find((c) => c.cluster === 'a');
}

/** The source's kube-apiserver SIGSTOPped (connections hang, nothing refuses), then SIGCONT. */
export async function sourceBlackhole(w: World, seed: number, p: ScenarioParams, staleAfterMs: number): Promise<Outcome[]> {
  const r = rng(seed);
  const cfg = w.writeConfig(`chaos-blackhole-${seed}.yaml`);
  const out: Outcome[] = [];
  const ctl = await start(cfg);
  await ctl.ready();
  for (let run = 0; run < p.runs; run++) {
    w.churn.resume();
    await sleep(r.int(500, 3000));
    await w.churn.pause();
    await w.convergeMs(cfg, p.convergeDeadlineMs);
    const before = await w.replicaAddresses();
    const pid = w.apiserverPid('a');
    process.kill(pid, 'SIGSTOP');
    const tStop = Date.now();
    let lostBeforeStale = 0, lostAfterStale = 0, sawStale = false, sawUnhealthy = false;
    try {
      while (Date.now() - tStop < p.outageMs) {
        const now = await w.replicaAddresses();
        const gone = [...before].filter((x) => !now.has(x)).length;
        if (Date.now() - tStop < staleAfterMs) lostBeforeStale = Math.max(lostBeforeStale, gone);
        else lostAfterStale = Math.max(lostAfterStale, gone);
        const st = await statusOfA(ctl);
        if (st?.stale) sawStale = true;
        if (st && (!st.connected || st.stale)) sawUnhealthy = true;
        await sleep(1000);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const w0 = await w.writes();
    const t0 = Date.now();
    // A change right after the return: converging means mcsync saw it, not just kept the old view.
    await w.churn.burst(3);
    const s = await settle(w, cfg, p.convergeDeadlineMs, w0, t0);
    out.push({
      scenario: 'source-blackhole', run, seed, variant: `${Math.round(p.outageMs / 1000)}s ${w.opts.stalePolicy ?? 'keep'}`, ...s,
      lost: s.lost + lostBeforeStale,
      extra: { lostBeforeStaleAfter: lostBeforeStale, lostAfterStaleAfter: lostAfterStale, staleVisibleInStatus: sawStale, unhealthyVisibleInStatus: sawUnhealthy, staleAfterMs },
    });
  }
  await ctl.stop('SIGTERM');
  return out;
}

/** Ready addresses of one destination's replicas equal the source's truth. */
async function destMatches(w: World, dest: string): Promise<boolean> {
  const truth = await w.sourceTruth();
  const want = new Set([...truth].flatMap(([svc, ips]) => [...ips].map((ip) => `${dest}/${svc}/${ip}`)));
  const got = [...(await w.replicaAddresses(dest))];
  return got.length === want.size && got.every((x) => want.has(x));
}

/** A destination's kube-apiserver hung while the source keeps changing; the other destination is timed meanwhile. */
export async function destinationHang(w: World, seed: number, p: ScenarioParams): Promise<Outcome[]> {
  const r = rng(seed);
  const cfg = w.writeConfig(`chaos-desthang-${seed}.yaml`);
  const out: Outcome[] = [];
  const ctl = await start(cfg);
  await ctl.ready();
  for (let run = 0; run < p.runs; run++) {
    const hung = r.pick(DESTS);
    const other = DESTS.find((d) => d !== hung)!;
    w.churn.resume();
    await sleep(r.int(500, 3000));
    const pid = w.apiserverPid(hung);
    process.kill(pid, 'SIGSTOP');
    const tStop = Date.now();
    let otherMs: number | null = null;
    try {
      await sleep(Math.max(0, p.outageMs - 5000));
      // The last seconds of the hang: the source holds still; does the healthy destination catch up?
      await w.churn.pause();
      const tq = Date.now();
      while (Date.now() - tStop < p.outageMs) {
        if (await destMatches(w, other)) { otherMs = Date.now() - tq; break; }
        await sleep(250);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const w0 = await w.writes();
    const t0 = Date.now();
    const s = await settle(w, cfg, p.convergeDeadlineMs, w0, t0);
    out.push({ scenario: 'destination-hang', run, seed, variant: `${hung} ${Math.round(p.outageMs / 1000)}s`, ...s, extra: { otherDestinationCaughtUpMs: otherMs } });
  }
  await ctl.stop('SIGTERM');
  return out;
}

/** etcd compaction, an apiserver restart, or a whole cluster restart, under churn. */
export async function storageFaults(w: World, seed: number, p: ScenarioParams): Promise<Outcome[]> {
  const r = rng(seed);
  const cfg = w.writeConfig(`chaos-storage-${seed}.yaml`);
  const out: Outcome[] = [];
  const ctl = await start(cfg);
  await ctl.ready();
  for (let run = 0; run < p.runs; run++) {
    const variant = r.pick(['compact-a', 'compact-b', 'apiserver-restart-a', 'cluster-restart-a', 'cluster-restart-b'] as const);
    const target = w.set.running.find((c) => c.name === variant.slice(-1))!;
    w.churn.resume();
    await sleep(r.int(1000, 4000));
    if (variant.startsWith('compact')) await compact(target, await currentRevision(target));
    else if (variant.startsWith('apiserver')) { await target.stopApiserver(); await target.startApiserver(); }
    else await target.restart();
    const w0 = await w.writes();
    const t0 = Date.now();
    await sleep(r.int(2000, 5000)); // churn goes on after the fault
    const s = await settle(w, cfg, p.convergeDeadlineMs, w0, t0);
    out.push({ scenario: 'storage-faults', run, seed, variant, ...s });
  }
  await ctl.stop('SIGTERM');
  return out;
}

/** managedFields entries a field manager has stamped at or after `sinceMs`, over every replica. */
async function writesBy(w: World, manager: string, sinceMs: number): Promise<number> {
  let n = 0;
  for (const d of DESTS) {
    const a = w.apis[d]!;
    const svcs = await a.core.listNamespacedService({ namespace: 'chaos', labelSelector: 'mcsync.io/managed-by=mcsync' });
    const slices = await a.discovery.listNamespacedEndpointSlice({ namespace: 'chaos', labelSelector: 'endpointslice.kubernetes.io/managed-by=mcsync.io' });
    for (const o of [...svcs.items, ...slices.items]) {
      for (const mf of o.metadata?.managedFields ?? []) {
        if (mf.manager === manager && mf.time && new Date(mf.time).getTime() >= sinceMs) n++;
      }
    }
  }
  return n;
}

/** Two controllers with --leader-elect; the leader SIGKILLed, or SIGSTOPped and woken after it lost the lease. */
export async function leaderFailover(w: World, seed: number, p: ScenarioParams): Promise<Outcome[]> {
  const r = rng(seed);
  const cfg = w.writeConfig(`chaos-leader-${seed}.yaml`, { leaderElection: true });
  const out: Outcome[] = [];
  const args = (i: number) => ['--leader-elect', '--identity', `chaos-${i}`, '--field-manager', `mcsync-chaos-${i}`];
  const ctls: RunningController[] = [await start(cfg, args(0)), await start(cfg, args(1))];
  const leaderIndex = async (): Promise<number | undefined> => {
    for (let i = 0; i < 2; i++) if ((await Promise.race([ctls[i]!.status().catch(() => undefined), sleep(1500).then(() => undefined)]))?.leader) return i;
    return undefined;
  };
  const until = async <T>(f: () => Promise<T | undefined>, ms: number): Promise<T | undefined> => {
    const t = Date.now();
    while (Date.now() - t < ms) { const v = await f(); if (v !== undefined) return v; await sleep(100); }
    return undefined;
  };
  await until(leaderIndex, 30_000);
  for (let run = 0; run < p.runs; run++) {
    const variant = run % 2 === 0 ? 'sigkill' : 'sigstop-then-wake';
    w.churn.resume();
    await sleep(r.int(1000, 4000));
    const old = (await until(leaderIndex, 30_000))!;
    const neu = 1 - old;
    const tFault = Date.now();
    if (variant === 'sigkill') await kill(ctls[old]!);
    else ctls[old]!.child.kill('SIGSTOP');
    const became = await until(async () => ((await Promise.race([ctls[neu]!.status().catch(() => undefined), sleep(1500).then(() => undefined)]))?.leader ? true : undefined), 60_000);
    const tNew = Date.now();
    if (variant === 'sigstop-then-wake') {
      await sleep(2000);
      ctls[old]!.child.kill('SIGCONT');
      await sleep(5000); // the old leader is awake, believes nothing; churn goes on
    } else {
      ctls[old] = await start(cfg, args(old));
      await sleep(3000);
    }
    const w0 = await w.writes();
    const s = await settle(w, cfg, p.convergeDeadlineMs, w0);
    // managedFields times have one-second resolution: writes stamped two seconds after the fault
    // cannot be requests that were already in flight when it came.
    const stale = await writesBy(w, `mcsync-chaos-${old}`, Math.floor(tFault / 1000) * 1000 + 2000);
    out.push({
      scenario: 'leader-failover', run, seed, variant, ...s,
      extra: { newLeader: became === true, timeToNewLeaderMs: became ? tNew - tFault : null, writesByOldLeaderAfterFault: stale },
    });
  }
  for (const c of ctls) await c.stop('SIGTERM');
  return out;
}

/** The destination b's kubeconfig token replaced by a new ServiceAccount's, the old one revoked. */
export async function credentialRotation(w: World, seed: number, p: ScenarioParams): Promise<Outcome[]> {
  const r: Rng = rng(seed);
  const b = w.set.get('b');
  const core = w.apis.b!.core;
  const rbac = kubeConfigFor(b).makeApiClient(RbacAuthorizationV1Api);
  const account = async (name: string) => {
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name } } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name, namespace: 'default' }] } });
  };
  const kcPath = writeConfig('', `chaos-b-${seed}.kubeconfig`);
  let n = 0;
  const sa = () => `mcsync-chaos-${seed}-${n}`;
  await account(sa());
  await serviceAccountKubeconfig(b, 'default', sa(), kcPath);
  await sleep(1500); // the RBAC authorizer learns of the binding through its informer
  const saved = w.kubeconfigs.b!;
  w.kubeconfigs.b = kcPath;
  const cfg = w.writeConfig(`chaos-cred-${seed}.yaml`);
  const out: Outcome[] = [];
  const ctl = await start(cfg);
  try {
    await ctl.ready();
    for (let run = 0; run < p.runs; run++) {
      w.churn.resume();
      await sleep(r.int(1000, 3000));
      const oldSa = sa();
      n++;
      await account(sa());
      await sleep(1500);
      const tmp = writeConfig('', `chaos-b-${seed}-${n}.kubeconfig`);
      await serviceAccountKubeconfig(b, 'default', sa(), tmp);
      renameSync(tmp, kcPath); // atomically, as a Secret volume update does
      // Deleting the ServiceAccount revokes every token bound to it.
      await core.deleteNamespacedServiceAccount({ namespace: 'default', name: oldSa });
      const logsBefore = ctl.logs.length;
      const w0 = await w.writes();
      const t0 = Date.now();
      await sleep(5000);
      const s = await settle(w, cfg, p.convergeDeadlineMs, w0, t0);
      const unauthorized = ctl.logs.slice(logsBefore).filter((l) => /401|nauthori[sz]ed/.test(JSON.stringify(l))).length;
      out.push({ scenario: 'credential-rotation', run, seed, variant: 'token-replaced+revoked', ...s, extra: { unauthorizedLogLines: unauthorized, controllerAlive: ctl.child.exitCode === null } });
    }
  } finally {
    await ctl.stop('SIGTERM');
    w.kubeconfigs.b = saved;
  }
  return out;
}
