// The sidecar ConfigMap carries exactly the dashboard JSON, byte for byte, so the two ways of
// installing the dashboard cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CONFIGMAP_YAML, DASHBOARD_JSON, dashboardConfigMap } from './configmap.ts';

test('configmap.yaml is mcsync.json as the sidecar reads it', () => {
  const json = readFileSync(DASHBOARD_JSON, 'utf8');
  const yaml = readFileSync(CONFIGMAP_YAML, 'utf8');
  assert.equal(yaml, dashboardConfigMap(json), 'regenerate it: node deploy/grafana/configmap.ts');
  const cm = parse(yaml) as { kind: string; metadata: { labels: Record<string, string> }; data: Record<string, string> };
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.metadata.labels.grafana_dashboard, '1');
  assert.equal(cm.data['mcsync.json'], json, 'a YAML reader gets the JSON back unchanged');
});
