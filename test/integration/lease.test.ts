// Leader election against a real apiserver: one leader among contenders, hand-over on release,
// takeover only after expiry by the contender's own clock, and a leader that cannot renew
// (lease taken, apiserver gone) stops leading and comes back when it can.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { KubeApiError, KubeClient } from '../../src/kube/client.ts';
import { LeaderElector, leaseDurationSeconds, leaseIdentity, type Lease, type LeaderElectorOptions } from '../../src/kube/lease.ts';

const NS = 'kube-system';
const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
// Contenders judge expiry by the duration in the record, which is whole seconds rounded up.
const EXPIRY_MS = leaseDurationSeconds(TIMING.leaseDurationMs) * 1000;

interface Contender {
  id: string;
  el: LeaderElector;
  client: KubeClient;
  started: number;
  stopped: number;
  leaders: string[];
  reads: number;
  /** The elector's log, said in assertion messages where timing on a busy machine could matter. */
  logs: string[];
}

describe('leader election on a Lease', () => {
  let set: ClusterSet;
  let admin: KubeClient;
  const all: Contender[] = [];
  const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`;
  const getLease = (name: string) => admin.request<Lease>('GET', leasePath(name));

  function contender(lease: string, id: string, extra: Partial<LeaderElectorOptions> = {}): Contender {
    const client = KubeClient.fromFile(id, set.get('lease').kubeconfigPath);
    const c: Contender = { id, client, started: 0, stopped: 0, leaders: [], reads: 0, logs: [], el: undefined as unknown as LeaderElector };
    client.observe((verb, path) => { if (verb === 'GET' && path === leasePath(lease)) c.reads++; });
    c.el = new LeaderElector({
      client, namespace: NS, name: lease, identity: id, ...TIMING,
      onStartedLeading: () => c.started++,
      onStoppedLeading: () => c.stopped++,
      onNewLeader: (who) => c.leaders.push(who),
      log: (msg, fields) => c.logs.push(`${new Date().toISOString()} ${msg} ${JSON.stringify(fields)}`),
      ...extra,
    });
    all.push(c);
    return c;
  }

  async function halt(...cs: Contender[]): Promise<void> {
    for (const c of cs) await c.el.stop();
  }

  before(async () => {
    set = await startClusterSet({ names: ['lease'] });
    admin = KubeClient.fromFile('admin', set.get('lease').kubeconfigPath);
  });

  after(async () => {
    for (const c of all) {
      await c.el.stop({ release: false });
      c.client.close();
    }
    admin?.close();
    await set?.down();
  });

  let leader: Contender;
  let follower: Contender;

  test('of two contenders exactly one leads, the Lease names it, and leadership does not flap', async () => {
    const a = contender('pair', `a-${leaseIdentity()}`);
    const b = contender('pair', `b-${leaseIdentity()}`);
    a.el.start();
    b.el.start();
    [leader, follower] = await waitFor(async () => (a.el.isLeader ? [a, b] : b.el.isLeader ? [b, a] : undefined), { what: 'a leader' });
    assert.equal((await getLease('pair')).spec?.holderIdentity, leader.id);
    await waitFor(async () => follower.leaders.includes(leader.id), { what: 'the follower to report the leader' });
    assert.equal(follower.el.isLeader, false);

    // Watch well past a lease duration, counting renewals rather than timing them.
    const renewals = new Set<string>();
    await waitFor(async () => {
      assert.ok(!(a.el.isLeader && b.el.isLeader), 'two leaders at once');
      const lease = await getLease('pair');
      assert.equal(lease.spec?.holderIdentity, leader.id);
      renewals.add(lease.spec?.renewTime ?? '');
      return renewals.size >= 3 * (EXPIRY_MS / TIMING.retryPeriodMs) / 2;
    }, { what: 'the leader to keep renewing', intervalMs: 50 });
    const story = [...leader.logs, ...follower.logs].sort().join('\n');
    assert.equal(leader.started, 1, story);
    assert.equal(leader.stopped, 0, story);
    assert.equal(follower.started, 0, story);
    assert.equal(leader.el.isLeader, true);
    assert.equal(follower.el.isLeader, false);
  });

  test('a leader that stops releases the Lease and the other takes over', async () => {
    const before = (await getLease('pair')).spec?.leaseTransitions ?? 0;
    await leader.el.stop();
    assert.equal(leader.el.isLeader, false);
    assert.equal(leader.stopped, 1);
    assert.ok(['', follower.id].includes((await getLease('pair')).spec?.holderIdentity ?? ''), 'released or already taken');
    await waitFor(async () => follower.el.isLeader, { what: 'the follower to lead' });
    const lease = await getLease('pair');
    assert.equal(lease.spec?.holderIdentity, follower.id);
    assert.equal(lease.spec?.leaseTransitions, before + 1);
    assert.equal(follower.started, 1);
    await halt(follower);
  });

  test('a released Lease is taken at once, even by a contender whose clock never moves', async () => {
    const d = contender('release', `d-${leaseIdentity()}`);
    d.el.start();
    await waitFor(async () => d.el.isLeader, { what: 'd to lead' });
    const frozen = Date.now();
    const c = contender('release', `c-${leaseIdentity()}`, { now: () => frozen });
    c.el.start();
    await waitFor(async () => c.leaders.includes(d.id), { what: 'c to see d lead' });
    // With its clock stopped, c could never see d's lease expire: only the release lets it in.
    await d.el.stop();
    await waitFor(async () => c.el.isLeader, { what: 'c to take the released lease' });
    assert.equal((await getLease('release')).spec?.holderIdentity, c.id);
    await halt(c);
  });

  test('after a crash the Lease is taken over only once it has expired by the contender\'s clock', async () => {
    const a = contender('crash', `a-${leaseIdentity()}`);
    a.el.start();
    await waitFor(async () => a.el.isLeader, { what: 'a to lead' });
    // An hour ahead: were b comparing the Lease's timestamps to its clock, it would take over at once.
    let bNow = Date.now() + 3_600_000;
    const b = contender('crash', `b-${leaseIdentity()}`, { now: () => bNow });
    b.el.start();
    await waitFor(async () => b.leaders.includes(a.id), { what: 'b to see a lead' });

    await a.el.stop({ release: false });
    assert.equal(a.stopped, 1, 'the crashed process stops leading locally');
    const halted = await getLease('crash');
    assert.equal(halted.spec?.holderIdentity, a.id, 'not released');

    const readsBy = async (n: number) => {
      const target = b.reads + n;
      await waitFor(async () => b.reads >= target, { what: `b to read the lease ${n} more times` });
    };
    await readsBy(5);
    assert.equal(b.el.isLeader, false, 'b took over while its clock had not moved');
    bNow += EXPIRY_MS;
    await readsBy(5);
    assert.equal(b.el.isLeader, false, 'b took over at, not after, the expiry');
    bNow += 1;
    await waitFor(async () => b.el.isLeader, { what: 'b to take over the expired lease' });
    const lease = await getLease('crash');
    assert.equal(lease.spec?.holderIdentity, b.id);
    assert.equal(lease.spec?.leaseTransitions, (halted.spec?.leaseTransitions ?? 0) + 1);
    assert.equal(lease.metadata.resourceVersion !== halted.metadata.resourceVersion, true);
    await halt(b);
  });

  test('a leader whose Lease is taken stops leading, and retakes it once the taker lets it expire', async () => {
    const a = contender('stolen', `a-${leaseIdentity()}`);
    a.el.start();
    await waitFor(async () => a.el.isLeader, { what: 'a to lead' });
    const taken = await waitFor(async () => {
      const lease = await getLease('stolen');
      lease.spec = { ...lease.spec, holderIdentity: 'intruder', renewTime: new Date().toISOString().replace('Z', '000Z'), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 };
      try {
        return await admin.request<Lease>('PUT', leasePath('stolen'), { body: lease });
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 409) return undefined; // a renewed in between
        throw err;
      }
    }, { what: 'the lease to be taken', intervalMs: 10 });
    await waitFor(async () => a.stopped === 1, { what: 'a to stop leading' });
    assert.equal(a.el.isLeader, false);
    assert.ok(a.leaders.includes('intruder'));

    await waitFor(async () => a.el.isLeader, { what: 'a to retake the abandoned lease' });
    const lease = await getLease('stolen');
    assert.equal(lease.spec?.holderIdentity, a.id);
    assert.equal(lease.spec?.leaseTransitions, (taken.spec?.leaseTransitions ?? 0) + 1);
    assert.equal(a.started, 2);
    await halt(a);
  });

  test('a leader whose apiserver goes away stops leading, and leads again when it returns', async () => {
    const a = contender('outage', `a-${leaseIdentity()}`);
    a.el.start();
    await waitFor(async () => a.el.isLeader, { what: 'a to lead' });
    const running = set.running[0]!;
    await running.stop();
    await waitFor(async () => a.stopped === 1, { what: 'a to stop leading during the outage' });
    assert.equal(a.el.isLeader, false);
    await running.restart();
    await waitFor(async () => a.el.isLeader, { what: 'a to lead again after the outage', timeoutMs: 120_000 });
    // An apiserver that has just come back can be slow enough to cost one more term; that is
    // correct behaviour, so count terms as consistent rather than exactly two.
    const story = a.logs.filter((l) => !l.includes('refused')).join('\n');
    assert.ok(a.started >= 2, story);
    assert.equal(a.started, a.stopped + 1, story);
    assert.equal((await getLease('outage')).spec?.holderIdentity, a.id);
    await halt(a);
  });
});
