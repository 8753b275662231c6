import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerError, DEFAULT_PATH, commandLine, containerEnv, expand, fieldValue, resolveExecutable } from './container.ts';

const pod: V1Pod = {
  metadata: { name: 'hello-1', namespace: 'shop', uid: 'u-1', labels: { app: 'hello' }, annotations: { team: 'pay' } },
  spec: { nodeName: 'a-node-0', containers: [] },
  status: { podIP: '10.100.0.12', podIPs: [{ ip: '10.100.0.12' }, { ip: 'fd00:100::c' }], hostIP: '10.250.1.2', hostIPs: [{ ip: '10.250.1.2' }] },
};
const noKeys = async () => undefined;

test('downward-API fields resolve as a kubelet resolves them; podIPs are comma-joined, primary first', () => {
  assert.equal(fieldValue(pod, 'status.podIPs'), '10.100.0.12,fd00:100::c');
  assert.equal(fieldValue(pod, 'status.podIP'), '10.100.0.12');
  assert.equal(fieldValue(pod, 'metadata.name'), 'hello-1');
  assert.equal(fieldValue(pod, 'metadata.namespace'), 'shop');
  assert.equal(fieldValue(pod, 'spec.nodeName'), 'a-node-0');
  assert.equal(fieldValue(pod, "metadata.labels['app']"), 'hello');
  assert.equal(fieldValue(pod, "metadata.annotations['team']"), 'pay');
  assert.equal(fieldValue(pod, 'status.hostIP'), '10.250.1.2');
  assert.equal(fieldValue(pod, 'spec.nothing'), undefined);
});

test('$(VAR) expands from earlier variables, $$ is a literal $, an unknown reference stays as written', () => {
  const vars = new Map([['A', 'x'], ['B', 'y z']]);
  assert.equal(expand('$(A)-$(B)', vars), 'x-y z');
  assert.equal(expand('$$(A)', vars), '$(A)');
  assert.equal(expand('$(C) $A $(', vars), '$(C) $A $(');
  assert.equal(expand('echo "$MY_POD_IPS"', vars), 'echo "$MY_POD_IPS"');
});

test('text without $( is never changed by expansion', () => {
  fc.assert(fc.property(fc.string().filter((s) => !s.includes('$')), (s) => expand(s, new Map([['A', 'x']])) === s));
});

test('the environment: PATH and HOSTNAME by default, literal values, field refs, keys of ConfigMaps and Secrets', async () => {
  const c: V1Container = {
    name: 'app',
    env: [
      { name: 'MY_POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'GREETING', value: 'hi from $(MY_POD_IPS)' },
      { name: 'COLOUR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'colour' } } },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
      { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } },
    ],
  };
  const keys = async (kind: string, ns: string, name: string, key: string) => ({ 'ConfigMap/shop/cfg/colour': 'blue', 'Secret/shop/sec/token': 's3cret' } as Record<string, string>)[`${kind}/${ns}/${name}/${key}`];
  const env = await containerEnv(pod, c, keys);
  assert.equal(env.get('PATH'), DEFAULT_PATH);
  assert.equal(env.get('HOSTNAME'), 'hello-1');
  assert.equal(env.get('MY_POD_IPS'), '10.100.0.12,fd00:100::c');
  assert.equal(env.get('GREETING'), 'hi from 10.100.0.12,fd00:100::c');
  assert.equal(env.get('COLOUR'), 'blue');
  assert.equal(env.get('TOKEN'), 's3cret');
  assert.equal(env.has('MISSING'), false);
});

test('an environment the runtime cannot build fails the container with CreateContainerConfigError, naming the variable', async () => {
  const bad = (c: V1Container) => assert.rejects(containerEnv(pod, c, noKeys), (err: unknown) =>
    err instanceof ContainerError && err.reason === 'CreateContainerConfigError' && err.message.includes('app'));
  await bad({ name: 'app', envFrom: [{ configMapRef: { name: 'x' } }] });
  await bad({ name: 'app', env: [{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }] });
  await bad({ name: 'app', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.nothing' } } }] });
  await bad({ name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] });
});

test('the command line is command then args; args alone are the command line; neither cannot run', () => {
  const vars = new Map([['P', '42']]);
  assert.deepEqual(commandLine({ name: 'a', command: ['/bin/sh'], args: ['-c', 'echo $(P)'] }, vars), ['/bin/sh', '-c', 'echo 42']);
  assert.deepEqual(commandLine({ name: 'a', args: ['/bin/sh', '-ec', 'sleep 5'] }, vars), ['/bin/sh', '-ec', 'sleep 5']);
  assert.throws(() => commandLine({ name: 'a', image: 'nginx' }, vars), (err: unknown) =>
    err instanceof ContainerError && err.reason === 'CreateContainerError' && /no command or args.*nginx/.test(err.message));
});

test('a command is found on the container PATH or by its path; a missing one is RunContainerError naming it', () => {
  assert.equal(resolveExecutable('sh', DEFAULT_PATH, 'a').endsWith('/sh'), true);
  assert.equal(resolveExecutable('/bin/sh', '', 'a'), '/bin/sh');
  assert.throws(() => resolveExecutable('no-such-tool-here', DEFAULT_PATH, 'a'), (err: unknown) =>
    err instanceof ContainerError && err.reason === 'RunContainerError' && err.message.includes('"no-such-tool-here": executable file not found in $PATH'));
  assert.throws(() => resolveExecutable('/nowhere/tool', DEFAULT_PATH, 'a'), /no such file/);
  // A directory on the PATH named like the command is not the command.
  assert.throws(() => resolveExecutable('tmp', '/', 'a'), /not found/);
});
