import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyActions, mapLimit } from './write.ts';
import { createAction, deleteAction, updateAction } from '../model/actions.ts';
import { overlayService } from '../model/projection.ts';
import { ownershipLabels } from '../vocab/labels.ts';
import { ScriptedApi, apiError, stored } from './scripted-api.test-util.ts';
import type { Service } from '../vocab/objects.ts';

test('overlaying a replica keeps what the apiserver set and replaces what mcsync owns', () => {
  const live: Service = {
    metadata: { name: 'web', namespace: 'shop', resourceVersion: '42', uid: 'u1', labels: { old: 'x' } },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], ipFamilies: ['IPv4'], selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] },
  };
  const wanted: Service = { metadata: { name: 'web', namespace: 'shop', labels: { new: 'y' }, annotations: { a: 'b' } }, spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } };
  const out = overlayService(live, wanted);
  assert.equal(out.metadata.resourceVersion, '42');
  assert.equal(out.spec.clusterIP, '10.96.0.7');
  assert.deepEqual(out.spec.ipFamilies, ['IPv4']);
  assert.equal(out.spec.selector, undefined, 'a replica never has a selector');
  assert.deepEqual(out.spec.ports, wanted.spec.ports);
  assert.deepEqual(out.metadata.labels, { new: 'y' });
  assert.deepEqual(out.metadata.annotations, { a: 'b' });
});

test('mapLimit never has more than the limit in flight and keeps result order', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, n));
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0, 60]);
  assert.equal(peak, 3);
});

// ---------------------------------------------------------------------------------------------
// The ownership guard on conflicts, against a scripted API: each test says what the server
// answers and checks which requests followed.

const SVC = '/api/v1/namespaces/shop/services';
const WEB = `${SVC}/web`;
const opts = { instance: 'default', concurrency: 1, backoffMs: 1 };

function replica(over: { resourceVersion?: string; uid?: string; port?: number; owned?: boolean } = {}): Service {
  const meta: Service['metadata'] = { name: 'web', namespace: 'shop', labels: over.owned === false ? { app: 'theirs' } : ownershipLabels('default') };
  if (over.resourceVersion) meta.resourceVersion = over.resourceVersion;
  if (over.uid) meta.uid = over.uid;
  return { metadata: meta, spec: { type: 'ClusterIP', ports: [{ name: 'http', protocol: 'TCP', port: over.port ?? 80 }] } };
}

const verbs = (api: ScriptedApi) => api.requests.map((r) => `${r.method} ${r.path}`);

test('a create that finds an owned but different object already there updates it, from the live resourceVersion', async () => {
  const api = new ScriptedApi()
    .on('POST', SVC, apiError(409, 'AlreadyExists'))
    .on('GET', WEB, { value: replica({ resourceVersion: '7', uid: 'u7', port: 81 }) })
    .on('PUT', WEB, stored('8'));
  const [r] = await applyActions(api, [createAction('west', 'shop/web', 'Service', replica(), 'test')], opts);
  assert.equal(r!.outcome, 'done');
  assert.deepEqual(verbs(api), [`POST ${SVC}`, `GET ${WEB}`, `PUT ${WEB}`]);
  assert.equal((api.requests[2]!.body as Service).metadata.resourceVersion, '7');
  assert.equal((api.requests[2]!.body as Service).spec.ports?.[0]?.port, 80);
});

test('a create that finds an object mcsync does not own leaves it alone and sends no update', async () => {
  const api = new ScriptedApi()
    .on('POST', SVC, apiError(409, 'AlreadyExists'))
    .on('GET', WEB, { value: replica({ resourceVersion: '7', owned: false }) });
  const [r] = await applyActions(api, [createAction('west', 'shop/web', 'Service', replica(), 'test')], opts);
  assert.equal(r!.outcome, 'skipped');
  assert.match(r!.detail!, /not owned/);
  assert.deepEqual(verbs(api), [`POST ${SVC}`, `GET ${WEB}`]);
});

test('an update that conflicts but finds the live object already as wanted is skipped, not repeated', async () => {
  const api = new ScriptedApi()
    .on('PUT', WEB, apiError(409, 'Conflict'))
    .on('GET', WEB, { value: replica({ resourceVersion: '9', uid: 'u1' }) });
  const [r] = await applyActions(api, [updateAction('west', 'shop/web', 'Service', replica({ resourceVersion: '8', uid: 'u1' }), 'test')], opts);
  assert.equal(r!.outcome, 'skipped');
  assert.equal(r!.detail, 'already as wanted');
  assert.equal(r!.object?.metadata.resourceVersion, '9', 'the live copy is handed back for the cache');
  assert.deepEqual(verbs(api), [`PUT ${WEB}`, `GET ${WEB}`]);
});

test('an update of an object that is gone creates it instead, without its old identity', async () => {
  const api = new ScriptedApi()
    .on('PUT', WEB, apiError(404, 'NotFound'))
    .on('POST', SVC, stored('20'));
  const [r] = await applyActions(api, [updateAction('west', 'shop/web', 'Service', replica({ resourceVersion: '8', uid: 'u1' }), 'test')], opts);
  assert.equal(r!.outcome, 'done');
  assert.deepEqual(verbs(api), [`PUT ${WEB}`, `POST ${SVC}`]);
  const sent = (api.requests[1]!.body as Service).metadata;
  assert.equal(sent.resourceVersion, undefined);
  assert.equal(sent.uid, undefined);
});

test('a delete that conflicts and finds the object no longer owned leaves it alone', async () => {
  const api = new ScriptedApi()
    .on('DELETE', WEB, apiError(409, 'Conflict'))
    .on('GET', WEB, { value: replica({ resourceVersion: '9', uid: 'u1', owned: false }) });
  const [r] = await applyActions(api, [deleteAction('west', 'shop/web', 'Service', replica({ resourceVersion: '8', uid: 'u1' }), 'test')], opts);
  assert.equal(r!.outcome, 'skipped');
  assert.match(r!.detail!, /no longer owned/);
  assert.deepEqual(verbs(api), [`DELETE ${WEB}`, `GET ${WEB}`]);
});

test('ownership is checked again on every conflict, not only the first', async () => {
  const api = new ScriptedApi()
    .on('PUT', WEB, apiError(409, 'Conflict'))
    .on('GET', WEB, { value: replica({ resourceVersion: '9', uid: 'u1', port: 81 }) })
    .on('PUT', WEB, apiError(409, 'Conflict'))
    .on('GET', WEB, { value: replica({ resourceVersion: '10', uid: 'u1', port: 81, owned: false }) });
  const [r] = await applyActions(api, [updateAction('west', 'shop/web', 'Service', replica({ resourceVersion: '8', uid: 'u1' }), 'test')], opts);
  assert.equal(r!.outcome, 'skipped');
  assert.match(r!.detail!, /no longer owned/);
  assert.deepEqual(verbs(api), [`PUT ${WEB}`, `GET ${WEB}`, `PUT ${WEB}`, `GET ${WEB}`]);
  assert.equal((api.requests[2]!.body as Service).metadata.resourceVersion, '9', 'the retry is based on what was read');
});
