import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invocation } from './invocation.ts';

test('the executable\'s name decides what the program calls itself and whether it completes', () => {
  assert.deepEqual(invocation('/usr/local/bin/mcsync'), { name: 'mcsync', mode: 'command' });
  assert.deepEqual(invocation('/app/dist/src/cli/main.js'), { name: 'mcsync', mode: 'command' });
  assert.deepEqual(invocation('/usr/local/bin/kubectl-mcsync'), { name: 'kubectl mcsync', mode: 'command' });
  assert.deepEqual(invocation('C:\\npm\\kubectl-mcsync.cmd'.replaceAll('\\', '/')), { name: 'kubectl mcsync', mode: 'command' });
  assert.deepEqual(invocation('/usr/local/bin/kubectl_complete-mcsync'), { name: 'kubectl mcsync', mode: 'complete' });
  assert.deepEqual(invocation(undefined), { name: 'mcsync', mode: 'command' });
});
