// deploy/grafana/configmap.yaml is mcsync.json wrapped for Grafana's dashboard sidecar (the
// grafana_dashboard label is what the Grafana Helm chart's sidecar watches for by default).
// Run `node deploy/grafana/configmap.ts` after editing mcsync.json; configmap.test.ts fails until then.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_JSON = fileURLToPath(new URL('./mcsync.json', import.meta.url));
export const CONFIGMAP_YAML = fileURLToPath(new URL('./configmap.yaml', import.meta.url));

export function dashboardConfigMap(json: string): string {
  if (!json.endsWith('\n') || json.endsWith('\n\n')) throw new Error('mcsync.json must end in exactly one newline, as a YAML block scalar keeps it');
  const body = json.slice(0, -1).split('\n').map((l) => (l === '' ? '' : `    ${l}`)).join('\n');
  return [
    '# Generated from mcsync.json by `node deploy/grafana/configmap.ts`; do not edit by hand.',
    '# Apply it in the namespace Grafana\'s dashboard sidecar watches, e.g. kubectl -n monitoring apply -f configmap.yaml',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: mcsync-dashboard',
    '  labels:',
    '    grafana_dashboard: "1"',
    'data:',
    '  mcsync.json: |',
    body,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIGMAP_YAML, dashboardConfigMap(readFileSync(DASHBOARD_JSON, 'utf8')));
}
