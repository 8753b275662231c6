import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildProgram } from '../program.ts';
import { candidates } from './candidates.ts';
import { cobraCompletions } from './cobra.ts';
import { bashScript, zshScript } from './scripts.ts';
import { completionSpec } from './spec.ts';
// Test-only: the shared rule for a missing prerequisite (skip locally, fail under CI).
import { prerequisite } from '../../../harness/src/util/prerequisite.ts';

const spec = completionSpec(buildProgram());
const offered = (args: string[]) => candidates(spec, args).words.map((w) => w.value);

/** Each case: the words after `mcsync` (the last is being completed), and what is offered. */
const CASES: [string[], string[]][] = [
  [[''], ['sync', 'plan', 'status', 'prune', 'doctor', 'run', 'export', 'unexport', 'version', 'completion', 'help']],
  [['version', '-o', ''], ['table', 'json', 'yaml']],
  [['p'], ['plan', 'prune']],
  [['--'], ['--version', '--help']],
  [['status', '-o', ''], ['table', 'wide', 'json', 'yaml']],
  [['status', '--output', 'j'], ['json']],
  [['status', '--output=w'], ['--output=wide']],
  [['sync', '-o', ''], ['table', 'json', 'yaml']],
  [['doctor', '--log-level', 'w'], ['warn']],
  [['status', '--log-format', ''], ['pretty', 'json']],
  [['plan', '--c'], ['--config', '--cluster']],
  [['prune', '--config', 'x.yaml', '-'], ['-c', '--config', '--debug', '--log-level', '--log-format', '-o', '--output', '--cluster', '-h', '--help']],
  [['status', '--cluster', ''], []],
  [['completion', ''], ['bash', 'zsh']],
  [['completion', 'bash', ''], []],
  [['help', 'do'], ['doctor']],
  [['nosuch', ''], []],
];

test('completion offers commands, each command\'s own options, and the values of -o and --log-level', () => {
  for (const [args, want] of CASES) assert.deepEqual(offered(args), want, args.join(' '));
  assert.deepEqual(candidates(spec, ['status', '--config', '']), { words: [], files: true }, '--config takes a file name');
  assert.deepEqual(candidates(spec, ['sync', '--config=']), { words: [], files: true });
});

test('kubectl_complete-mcsync answers in cobra\'s form: candidate<TAB>description lines, then the directive', () => {
  assert.equal(cobraCompletions(candidates(spec, ['status', '-o', 'y'])), 'yaml\n:4');
  assert.match(cobraCompletions(candidates(spec, ['doc'])), /^doctor\tcheck each cluster .*\n:4$/);
  assert.equal(cobraCompletions(candidates(spec, ['plan', '-c', ''])), ':0', 'files: the shell completes paths');
});

/** Runs the bash script's function in a real bash, as readline would call it, and returns COMPREPLY. */
function bashCompletes(script: string, words: string[]): string[] {
  const assign = `COMP_WORDS=(${['mcsync', ...words].map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `eval "$SCRIPT"; ${assign}; _mcsync; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', env: { ...process.env, SCRIPT: script } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout.split('\n').filter(Boolean);
}

test('`mcsync completion bash`: sourced in bash, the function offers what the spec does', () => {
  const script = bashScript(spec);
  for (const [args, want] of CASES) assert.deepEqual(bashCompletes(script, args), want, args.join(' '));
  // bash splits --output=w at "=" (COMP_WORDBREAKS): the value is completed on its own.
  assert.deepEqual(bashCompletes(script, ['status', '--output', '=', 'w']), ['wide']);
  assert.deepEqual(bashCompletes(script, ['status', '--output', '=']), ['table', 'wide', 'json', 'yaml']);
  const check = spawnSync('bash', ['--norc', '-c', `eval "$SCRIPT"; complete -p mcsync`], { encoding: 'utf8', env: { ...process.env, SCRIPT: script } });
  assert.equal(check.stdout.trim(), 'complete -F _mcsync mcsync');
});

test('`mcsync completion zsh` is the same function under zsh\'s bashcompinit', (t) => {
  const zsh = zshScript(spec);
  const fn = bashScript(spec).slice(bashScript(spec).indexOf('_mcsync_flags() {'));
  assert.ok(zsh.includes(fn), 'the zsh script carries the function the bash tests exercise');
  assert.match(zsh, /autoload -U \+X bashcompinit && bashcompinit/);
  const noZsh = prerequisite('zsh', spawnSync('zsh', ['--version']).error && 'not installed, so `zsh -n` cannot check the script\'s syntax (scripts/setup.sh installs it)');
  if (noZsh) return t.skip(noZsh);
  const r = spawnSync('zsh', ['-n'], { input: zsh, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
