import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstLine, parseJunit, splitSpecName } from './junit.ts';

const report = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" disabled="0" errors="0" failures="1" time="1">
  <testsuite name="Conformance Suite" package="/x" tests="4" skipped="1" failures="1" errors="0" time="1">
      <testcase name="[BeforeSuite]" classname="Conformance Suite" status="passed" time="0.01"></testcase>
      <testcase name="[It]  A &lt;svc&gt; ServiceImport should exist [ClusterIP, Required]" classname="Conformance Suite" status="passed" time="2.5"></testcase>
      <testcase name="[It]  A ClusterIP service exported on two clusters  should expose the union [ClusterIP, Required]" classname="Conformance Suite" status="failed" time="22.1">
          <failure message="Timed out after 20.001s.&#xA;The function passed to Eventually failed at /root/.cache/x/src/conformance_suite.go:273 with:&#xA;ServiceImport was not found on cluster &#34;a&#34;&#xA;Expected" type="failed">[FAILED] ...</failure>
          <system-err>&gt; Enter [It]</system-err>
      </testcase>
      <testcase name="[It]  Connectivity to a service that is not exported should be inaccessible [Required]" classname="Conformance Suite" status="skipped" time="0">
          <skipped message="skipped"></skipped>
      </testcase>
      <testcase name="[ReportAfterSuite] MCS conformance report" classname="Conformance Suite" status="passed" time="0"></testcase>
  </testsuite>
</testsuites>`;

test('a JUnit report becomes one row per spec, with suite nodes kept apart', () => {
  const r = parseJunit(report);
  assert.deepEqual(r.suiteNodes.map((n) => [n.name, n.result]), [['[BeforeSuite]', 'pass'], ['[ReportAfterSuite] MCS conformance report', 'pass']]);
  assert.deepEqual(r.specs.map((s) => [s.name, s.labels, s.result]), [
    ['A <svc> ServiceImport should exist', ['ClusterIP', 'Required'], 'pass'],
    ['A ClusterIP service exported on two clusters should expose the union', ['ClusterIP', 'Required'], 'fail'],
    ['Connectivity to a service that is not exported should be inaccessible', ['Required'], 'skipped'],
  ]);
  assert.equal(r.specs[1]!.reason, 'Timed out after 20.001s. The function passed to Eventually failed at conformance_suite.go:273 with: ServiceImport was not found on cluster "a"');
  assert.equal(r.specs[1]!.seconds, 22.1);
  assert.equal(r.specs[2]!.reason, 'not selected by the filters');
  assert.equal(r.specs[0]!.reason, '');
});

test('the reason is the first line, unless that line is only timing', () => {
  assert.equal(firstLine('Expected\n  <int>: 1\nto equal 2'), 'Expected');
  assert.equal(firstLine('Timed out after 20.000s.\nThe Valid condition was not set to True\nExpected'), 'Timed out after 20.000s. The Valid condition was not set to True');
});

test('a spec name without labels keeps all its text', () => {
  assert.deepEqual(splitSpecName('[It] plain text'), { kind: 'It', name: 'plain text', labels: [] });
});
