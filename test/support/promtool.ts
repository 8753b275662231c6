// Prometheus's own PromQL parser, through promtool from Debian's prometheus package (unpacked into
// the cache by scripts/setup.sh): each expression becomes a recording rule, and `promtool check
// rules` parses and type-checks them all in one run, with no server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusBinary } from '../../harness/src/observe/prometheus.ts';

/** promtool's verdict on the expressions: exit code 0 when every one parses. */
export function checkExpressions(exprs: readonly string[]): { code: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcsync-promql-'));
  try {
    const file = join(dir, 'rules.yaml');
    // JSON is YAML, and JSON strings need no thought about quoting.
    const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 1));
    const r = spawnSync(prometheusBinary('promtool'), ['check', 'rules', file], { encoding: 'utf8' });
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
