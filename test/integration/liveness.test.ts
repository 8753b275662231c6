// /healthz of `mcsync run` against real apiservers: red only for a loop that stopped, with the
// reason in the body. A frozen apiserver (SIGSTOP: connections accepted, never answered) does
// not wedge a reflector — it keeps reporting errors, so /healthz stays green for longer than the
// reflectors' quiet limit: unreachable is an availability state, not a liveness failure. A write
// that does not return within the worker bound (MCSYNC_WORKER_STUCK_AFTER, set below the 10 s
// destination request timeout so a frozen destination holds one) turns it red, naming the queue
// and key, and green again once it returns. A leader whose Lease cluster freezes steps down at
// its renew deadline, which is not a wedge either.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { reflectorQuietLimitMs } from '../../src/kube/reflector.ts';
import { apis, replicasAre, serviceWithPod, type Apis } from '../support/kube.ts';

const NS = 'alive';
const WATCH_TIMEOUT_S = 2;
let set: ClusterSet;
let B: Apis;
let podsA: Pods;
let ctl: RunningController;
let ip0 = '';

interface Health { status: number; ok: boolean; problems: string[] }

async function health(): Promise<Health> {
  const r = await ctl.get('/healthz');
  const body = JSON.parse(r.text) as { ok: boolean; detail: { problems?: string[] } | null };
  return { status: r.status, ok: body.ok, problems: body.detail?.problems ?? [] };
}

function apiserverOf(name: string): number {
  const p = set.running.find((c) => c.name === name)!.processes.find((x) => x.name.includes('apiserver'))!;
  assert.equal(readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim(), 'kube-apiserver');
  return p.pid!;
}

async function frozen<T>(cluster: string, body: () => Promise<T>): Promise<T> {
  const pid = apiserverOf(cluster);
  process.kill(pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function watchErrors(cluster: string): Promise<number> {
  const text = (await ctl.get('/metrics')).text;
  return [...text.matchAll(new RegExp(`^mcsync_watch_restarts_total\\{[^}]*cluster="${cluster}"[^}]*\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  B = apis(set.get('b'));
  podsA = new Pods(set.get('a'));
  ip0 = await serviceWithPod(podsA, NS, 'web');
  const config = ['instance: alive', 'controller:', `  watchTimeout: ${WATCH_TIMEOUT_S}s`,
    'leaderElection:', '  cluster: a', '  leaseDuration: 3s', '  renewDeadline: 2s', '  retryPeriod: 500ms', 'clusters:',
    '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`, '    exportTo: [b]',
    '- name: b', `  kubeconfig: ${set.get('b').kubeconfigPath}`].join('\n') + '\n';
  // Only the controller's environment: the variable is read when it starts.
  process.env.MCSYNC_WORKER_STUCK_AFTER = '3s';
  try {
    ctl = await startController(['--config', writeConfig(config), '--leader-elect']);
  } finally {
    delete process.env.MCSYNC_WORKER_STUCK_AFTER;
  }
  await ctl.ready();
  await waitFor(async () => (await ctl.status()).leader, { what: 'the instance to lead' });
  await replicasAre(B, NS, 'web', { [ip0]: true }, 'web in b');
});

after(async () => {
  if (ctl) assert.equal(await ctl.stop(), 0);
  await set?.down();
});

test('a running controller is live: 200, no problems', async () => {
  assert.deepEqual(await health(), { status: 200, ok: true, problems: [] });
});

test('a frozen apiserver does not wedge the reflectors: they keep reporting errors and /healthz stays 200 past their quiet limit', async () => {
  const limit = reflectorQuietLimitMs(WATCH_TIMEOUT_S);
  const red: Health[] = [];
  await frozen('b', async () => {
    const since = Date.now();
    let errorsAtLimit: number | undefined;
    // Every look at /healthz during the freeze is kept; the wait ends on a positive sign: an
    // error reported by b's watches after the quiet limit has passed since the freeze.
    await waitFor(async () => {
      const h = await health();
      if (h.status !== 200) red.push(h);
      if (Date.now() - since <= limit) return false;
      errorsAtLimit ??= await watchErrors('b');
      return (await watchErrors('b')) > errorsAtLimit;
    }, { what: `a watch error of b reported more than ${limit} ms into the freeze`, timeoutMs: limit + 90_000, intervalMs: 1000 });
    assert.equal((await ctl.status()).clusters.find((c) => c.cluster === 'b')?.connected, false, 'b is unavailable: an availability state');
  });
  assert.deepEqual(red, [], 'never red while b was frozen');
  await waitFor(async () => (await ctl.status()).clusters.every((c) => c.connected), { what: 'b connected again' });
});

test('a write that does not return within the worker bound turns /healthz red with the queue and key, and green once it returns', async () => {
  let ip1 = '';
  const stuck = await frozen('b', async () => {
    ip1 = (await podsA.create({ namespace: NS, name: 'web-1', labels: { app: 'web' } })).status!.podIP!;
    // The write to b is sent and never answered; the destination request timeout (10 s) is longer than the bound (3 s).
    return waitFor(async () => {
      const h = await health();
      return h.status === 503 ? h : undefined;
    }, { what: '/healthz to fail while the write to b hangs', timeoutMs: 30_000, intervalMs: 250 });
  });
  assert.equal(stuck.ok, false);
  assert.equal(stuck.problems.length, 1, stuck.problems.join('; '));
  assert.match(stuck.problems[0]!, /^worker of queue b \(replicas\) stuck on alive\/web for \d+s \(limit 3s\)$/);
  await waitFor(async () => (await health()).status === 200, { what: '/healthz to recover once the write returned' });
  await replicasAre(B, NS, 'web', { [ip0]: true, [ip1]: true }, 'the change reaches b once it answers');
});

test('a leader whose Lease cluster freezes steps down at its renew deadline: not a wedge, /healthz stays 200', async () => {
  const red: Health[] = [];
  await frozen('a', async () => {
    await waitFor(async () => {
      const h = await health();
      if (h.status !== 200) red.push(h);
      return !(await ctl.status()).leader;
    }, { what: 'the leader to step down', timeoutMs: 30_000, intervalMs: 250 });
    assert.equal(ctl.count('lost leadership; writes stopped'), 1);
    assert.deepEqual(await health(), { status: 200, ok: true, problems: [] });
  });
  assert.deepEqual(red, []);
  await waitFor(async () => (await ctl.status()).leader, { what: 'leading again once a answers' });
  assert.deepEqual(await health(), { status: 200, ok: true, problems: [] });
});
