// prometheusrule.yaml is rules.yaml wrapped as a PrometheusRule for the Prometheus Operator.
// It is generated, comments included, so the two cannot drift; rules.test.ts checks that the
// file is what this prints. Regenerate after editing rules.yaml:
//   node deploy/prometheus/prometheusrule.ts > deploy/prometheus/prometheusrule.yaml
import { readFileSync } from 'node:fs';

const HEADER = `# Generated from rules.yaml by prometheusrule.ts: edit rules.yaml, then regenerate with
#   node deploy/prometheus/prometheusrule.ts > deploy/prometheus/prometheusrule.yaml
# The Operator loads it when its ruleSelector matches these labels: add the one your Prometheus
# selects (kube-prometheus-stack: release: <its release name>), and apply it with -n.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: mcsync
  labels:
    app.kubernetes.io/name: mcsync
spec:
`;

/** rules.yaml from its `groups:` line on, indented under `spec:`. */
export function prometheusRuleText(rulesText: string): string {
  const lines = rulesText.split('\n');
  const start = lines.findIndex((l) => l === 'groups:');
  if (start < 0) throw new Error('rules.yaml has no top-level groups:');
  return HEADER + lines.slice(start).map((l) => (l ? `  ${l}` : l)).join('\n');
}

export function rulesText(): string {
  return readFileSync(new URL('./rules.yaml', import.meta.url), 'utf8');
}

if (import.meta.main) process.stdout.write(prometheusRuleText(rulesText()));
