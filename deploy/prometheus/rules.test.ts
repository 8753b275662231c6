// The shipped alert rules, checked and run by the real promtool: `check rules` for syntax and
// PromQL, `test rules` for rules.test.yaml's synthetic series. Around that, what keeps the files
// honest: every alert is shown firing and clearing, names only metrics mcsync exports, says what
// to do, and the PrometheusRule for the Operator is exactly rules.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { promtool } from '../../harness/src/observe/prometheus.ts';
import { ControllerMetrics } from '../../src/server/metrics.ts';
import { prometheusRuleText, rulesText } from './prometheusrule.ts';

const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(rulesText()) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);

interface RuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[];
}
const unitTests = (parse(readFileSync(here('rules.test.yaml'), 'utf8')) as { tests: { alert_rule_test?: RuleTest[] }[] }).tests;

function minutes(d: string): number {
  const m = /^(\d+)([smh])$/.exec(d);
  assert.ok(m, `duration ${d}`);
  return Number(m[1]) * { s: 1 / 60, m: 1, h: 60 }[m[2] as 's' | 'm' | 'h'];
}

test('promtool check rules accepts rules.yaml', async () => {
  const r = await promtool(['check', 'rules', here('rules.yaml')]);
  assert.equal(r.code, 0, `promtool check rules failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('promtool test rules passes rules.test.yaml', async () => {
  const r = await promtool(['test', 'rules', here('rules.test.yaml')]);
  assert.equal(r.code, 0, `promtool test rules failed:\n${r.stdout}${r.stderr}`);
});

test('every alert is tested firing, and tested cleared at a later time', () => {
  const names = rules.map((r) => r.alert);
  assert.deepEqual(names.filter((n) => /^Mcsync[A-Z]\w+$/.test(n)), names, 'alerts are named Mcsync…');
  for (const name of names) {
    const evals = unitTests.flatMap((t) => (t.alert_rule_test ?? []).filter((e) => e.alertname === name));
    const fired = evals.filter((e) => e.exp_alerts.length > 0).map((e) => minutes(e.eval_time));
    assert.ok(fired.length > 0, `${name} is tested firing`);
    const cleared = evals.filter((e) => e.exp_alerts.length === 0 && minutes(e.eval_time) > Math.min(...fired));
    assert.ok(cleared.length > 0, `${name} is tested cleared after it fired`);
  }
});

test('every alert has a for:, a severity, and a summary and description that point to the docs', () => {
  for (const r of rules) {
    assert.ok(r.for && minutes(r.for) >= 2, `${r.alert}: for: of at least 2m, so one scrape does not page`);
    assert.ok(['critical', 'warning'].includes(r.labels?.severity ?? ''), `${r.alert}: severity critical or warning`);
    assert.ok(r.annotations?.summary, `${r.alert}: summary`);
    assert.match(r.annotations?.description ?? '', /docs\/\w+\.md#[a-z-]+/, `${r.alert}: description links a docs section`);
  }
});

test('the rules name only metrics mcsync exports', async () => {
  const exported = new Set((await new ControllerMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
  for (const r of rules) {
    const used = [...r.expr.matchAll(/\bmcsync_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
    assert.ok(used.length > 0, `${r.alert} reads an mcsync metric`);
    for (const name of used) assert.ok(exported.has(name), `${r.alert}: ${name} is exported by src/server/metrics.ts`);
  }
});

test('prometheusrule.yaml is rules.yaml wrapped for the Prometheus Operator', () => {
  const shipped = readFileSync(here('prometheusrule.yaml'), 'utf8');
  assert.equal(shipped, prometheusRuleText(rulesText()), 'regenerate: node deploy/prometheus/prometheusrule.ts > deploy/prometheus/prometheusrule.yaml');
  const obj = parse(shipped) as { kind: string; spec: { groups: unknown } };
  assert.equal(obj.kind, 'PrometheusRule');
  assert.deepEqual(obj.spec.groups, groups);
});
