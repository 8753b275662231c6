// The PromQL reading behind the dashboard test: it must find every metric an expression reads
// and nothing else, so a made-up name or label cannot slip past the check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, PromqlError } from './promql.ts';
import { parseExposition, unexposed } from './exposition.ts';

test('metric names come out; functions, keywords, label names, strings and ranges do not', () => {
  const { selectors } = analyse(`
    histogram_quantile(0.99, sum by (le, source) (rate(mcsync_propagation_seconds_bucket{source=~"a|b", job="x"}[5m:30s] offset 1h)))
      > bool on (source) group_left (destination) max without (instance) (up{job="sum"}) # rate(not_me[5m])
      or vector(0) and time() - mcsync_cluster_last_seen_timestamp_seconds @ end() unless topk(3, {__name__="mcsync_leader"})`);
  assert.deepEqual(selectors.map((s) => s.metric), ['mcsync_propagation_seconds_bucket', 'up', 'mcsync_cluster_last_seen_timestamp_seconds', 'mcsync_leader']);
  assert.deepEqual(selectors[0], { metric: 'mcsync_propagation_seconds_bucket', matchers: ['source', 'job'], grouping: ['le', 'source', 'destination'] });
  // on() and group_left() reach every selector of the binary operation; without() only its own argument.
  assert.deepEqual(new Set(selectors[1]!.grouping), new Set(['source', 'destination', 'instance']));
  assert.deepEqual(new Set(selectors[2]!.grouping), new Set(['source', 'destination']));
});

test('a trailing by() groups the aggregation it follows, and only that one', () => {
  const { selectors } = analyse('sum(rate(a_total[1m])) by (cluster) / sum(b)');
  assert.deepEqual(selectors.map((s) => [s.metric, s.grouping]), [['a_total', ['cluster']], ['b', []]]);
});

test('labels an expression makes itself are known to it', () => {
  assert.deepEqual(analyse('label_replace(up, "target", "$1", "instance", "(.*)")').madeLabels, ['target']);
});

test('an unknown function, an unbalanced bracket or a nameless selector is an error, not a guess', () => {
  assert.throws(() => analyse('rat(mcsync_writes_total[5m])'), PromqlError);
  assert.throws(() => analyse('sum(rate(x[5m])'), PromqlError);
  assert.throws(() => analyse('{job="mcsync"}'), PromqlError);
  assert.throws(() => analyse('{__name__=~"mcsync_.*"}'), PromqlError);
});

const page = `# HELP mcsync_writes_total Writes.
# TYPE mcsync_writes_total counter
mcsync_writes_total{cluster="b",verb="create",kind="Service",result="done"} 3
# TYPE mcsync_conflicts gauge
# TYPE mcsync_queue_wait_seconds histogram
mcsync_queue_wait_seconds_bucket{le="0.1"} 2
mcsync_queue_wait_seconds_bucket{le="+Inf"} 2
mcsync_queue_wait_seconds_sum 0.01
mcsync_queue_wait_seconds_count 2
`;

test('the check passes what the page exposes and names what it does not', () => {
  const exposed = parseExposition(page);
  assert.deepEqual(unexposed('sum by (cluster, result) (rate(mcsync_writes_total{job="m", kind="Service"}[5m]))', exposed), []);
  assert.deepEqual(unexposed('histogram_quantile(0.9, sum by (le) (rate(mcsync_queue_wait_seconds_bucket[5m])))', exposed), []);
  assert.deepEqual(unexposed('rate(mcsync_writes_made_up_total[5m])', exposed), ['metric mcsync_writes_made_up_total is not exposed']);
  assert.deepEqual(unexposed('rate(mcsync_queue_wait_seconds[5m])', exposed), ['metric mcsync_queue_wait_seconds is not exposed'], 'a histogram is read as _bucket/_sum/_count');
  assert.deepEqual(unexposed('mcsync_conflicts', exposed), ['metric mcsync_conflicts is not exposed'], 'declared by # TYPE but without a sample');
  assert.deepEqual(unexposed('sum by (verb) (mcsync_writes_total{clustre="b"})', exposed), ['mcsync_writes_total has no label clustre']);
  assert.deepEqual(unexposed('sum by (destination) (mcsync_writes_total)', exposed), ['mcsync_writes_total has no label destination to group by']);
});
