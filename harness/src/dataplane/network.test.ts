// The flat network is built and removed for real (root only): nothing of it outlives teardown,
// and what a killed run left behind is found by its dead pid and removed by the next run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { run } from './command.ts';
import { dataPlaneUnsupported } from './command.ts';
import { prerequisite } from '../util/prerequisite.ts';
import { FlatNetwork, sweepStale } from './network.ts';
import { isAlive } from '../util/process.ts';

const skip = prerequisite('the data plane', dataPlaneUnsupported());

function leftovers(pid: number): string[] {
  const left = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`mcsync-${pid}-`));
  if (run('ip', ['link', 'show', `mcs${pid}h`], { allowFail: true })) left.push(`link mcs${pid}h`);
  if (existsSync(`/etc/netns/mcsync-${pid}-b-pod`)) left.push('/etc/netns entry');
  const routes = run('ip', ['route', 'show', '10.250.0.0/16']).trim();
  if (routes) left.push(`route ${routes}`);
  return left;
}

test('teardown removes every namespace, veth, route and resolv.conf the network made', { skip }, () => {
  const net = FlatNetwork.create();
  try {
    net.addNode('b', 1, '10.101.0.0/16');
    net.addPod('b', 'pod', '10.101.0.10', { nameserver: '10.201.0.10', search: ['default.svc.cluster.local'] });
    assert.ok(leftovers(process.pid).length >= 4, `the network is there: ${leftovers(process.pid).join(', ')}`);
    // The pod reaches the root namespace through its node and the router, and back.
    const reply = run('ip', ['netns', 'exec', `mcsync-${process.pid}-b-pod`, 'ip', 'route', 'get', net.hostAddress]);
    assert.match(reply, /via 10\.250\.2\.2/);
  } finally {
    net.teardown();
  }
  assert.deepEqual(leftovers(process.pid), []);
});

test("a killed run's network blocks a new one while it lives, and is swept once it is dead", { skip }, async () => {
  const networkModule = new URL('./network.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { FlatNetwork } = await import(${JSON.stringify(networkModule)});
    const net = FlatNetwork.create();
    net.addNode('a', 0, '10.100.0.0/16');
    net.addPod('a', 'pod', '10.100.0.10');
    process.stdout.write('up\\n');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      child.on('exit', (code) => reject(new Error(`network holder exited with ${code}`)));
    });
    assert.throws(() => FlatNetwork.create(), new RegExp(`data-plane network of process ${child.pid} is up`));
    child.kill('SIGKILL');
    while (isAlive(child.pid!)) await new Promise((r) => setTimeout(r, 20));
    assert.ok(leftovers(child.pid!).length > 0, 'a SIGKILL leaves the namespaces behind');
    const removed = sweepStale();
    assert.ok(removed.includes(`mcsync-${child.pid}-router`), removed.join(', '));
    assert.deepEqual(leftovers(child.pid!), []);
  } finally {
    child.kill('SIGKILL');
    sweepStale();
  }
});

test('a prefix this machine already routes is refused before anything is made', { skip }, () => {
  // An unreachable route stands in for a real network of the machine inside a pod CIDR.
  run('ip', ['route', 'add', 'unreachable', '10.107.3.0/24']);
  try {
    const net = FlatNetwork.create();
    try {
      assert.throws(() => net.addNode('c', 7, '10.107.0.0/16'), /10\.107\.0\.0\/16 is already in use on this machine \(unreachable 10\.107\.3\.0\/24/);
      assert.equal(run('ip', ['netns', 'list']).includes(`mcsync-${process.pid}-c-node`), false, 'no node namespace was made');
    } finally {
      net.teardown();
    }
  } finally {
    run('ip', ['route', 'del', 'unreachable', '10.107.3.0/24']);
  }
});
