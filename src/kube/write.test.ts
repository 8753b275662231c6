import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapLimit } from './write.ts';
import { overlayService } from '../model/projection.ts';
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
