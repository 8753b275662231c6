// Shell completion scripts written out from the spec: the answers are fixed when the script
// is printed, so a Tab press starts no Node process. They read the words as candidates.ts does.
import type { CommandSpec, CompletionSpec, OptionSpec } from './spec.ts';

/** Every word a script embeds; anything else would need shell quoting, and none of mcsync's words do. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$|^--?[A-Za-z0-9][A-Za-z0-9-]*$/;

function words(ws: readonly string[]): string {
  for (const w of ws) if (!PLAIN.test(w)) throw new Error(`cannot put "${w}" into a completion script unquoted`);
  return ws.join(' ');
}

const longFlags = (options: readonly OptionSpec[]) => options.flatMap((o) => o.flags.filter((f) => f.startsWith('--')));
const allFlags = (options: readonly OptionSpec[]) => options.flatMap((o) => o.flags);

function valueCases(options: readonly OptionSpec[]): string[] {
  return options.filter((o) => o.takesValue).map((o) => {
    const answer = o.file ? '_mcsync_files' : o.values ? `COMPREPLY=( $(compgen -P "$pre" -W "${words(o.values)}" -- "$cur") )` : ':';
    return `        ${words(o.flags).replaceAll(' ', '|')}) ${answer}; return 0 ;;`;
  });
}

function commandCase(c: CommandSpec): string {
  // A word after such a command is then either a flag or the positional argument.
  if (c.values.length > 0 && c.options.some((o) => o.takesValue)) throw new Error(`${c.name}: the scripts complete a positional argument only for commands whose options take no value`);
  const rest = c.values.length > 0
    ? `      if [[ $cur != -* ]]; then _mcsync_positional "${words(c.values)}"; return 0; fi`
    : '';
  const values = valueCases(c.options);
  return [
    `    ${words([c.name])})`,
    ...(values.length > 0 ? ['      case $prev in', ...values, '      esac'] : []),
    ...(rest ? [rest] : []),
    `      _mcsync_flags "${words(longFlags(c.options))}" "${words(allFlags(c.options))}"`,
    '      ;;',
  ].join('\n');
}

/** The completion function, in the subset of bash that zsh's bashcompinit also runs. */
function completionFunction(spec: CompletionSpec): string {
  return `_mcsync_flags() {
  # long flags for a new word, every spelling once the word is a lone dash
  if [[ $cur == -* && $cur != --* ]]; then
    COMPREPLY=( $(compgen -W "$2" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$1" -- "$cur") )
  fi
}

_mcsync_files() {
  compopt -o filenames 2>/dev/null
  COMPREPLY=( $(compgen -f -- "$cur") )
}

_mcsync_positional() {
  # one positional argument, offered only while none is given yet
  local j
  for (( j = i + 1; j < COMP_CWORD; j++ )); do
    case \${COMP_WORDS[j]} in -*) ;; *) return 0 ;; esac
  done
  COMPREPLY=( $(compgen -W "$1" -- "$cur") )
}

_mcsync() {
  local cur prev cmd i pre=
  cur=\${COMP_WORDS[COMP_CWORD]}
  prev=
  (( COMP_CWORD > 0 )) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  # --output=json: bash splits the word at "=" (COMP_WORDBREAKS) unless told not to
  if [[ $cur == = ]]; then
    cur=
  elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
    prev=\${COMP_WORDS[COMP_CWORD-2]}
  elif [[ $cur == --*=* ]]; then
    prev=\${cur%%=*}
    pre=$prev=
    cur=\${cur#*=}
  fi
  # no option before the command takes a value: the first other word is the command
  cmd=
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case \${COMP_WORDS[i]} in
      -*) ;;
      *) cmd=\${COMP_WORDS[i]}; break ;;
    esac
  done
  case $cmd in
    '')
      if [[ $cur == -* ]]; then
        _mcsync_flags "${words(longFlags(spec.options))}" "${words(allFlags(spec.options))}"
      else
        COMPREPLY=( $(compgen -W "${words(spec.commands.map((c) => c.name))}" -- "$cur") )
      fi
      ;;
${spec.commands.map(commandCase).join('\n')}
  esac
  return 0
}`;
}

export function bashScript(spec: CompletionSpec): string {
  return `# bash completion for ${spec.program} (printed by \`${spec.program} completion bash\`)
# use: source <(${spec.program} completion bash), e.g. in ~/.bashrc
${completionFunction(spec)}

complete -F _mcsync mcsync
`;
}

export function zshScript(spec: CompletionSpec): string {
  return `# zsh completion for ${spec.program} (printed by \`${spec.program} completion zsh\`), through
# zsh's bash completion emulation; use: source <(${spec.program} completion zsh), e.g. in ~/.zshrc
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit

${completionFunction(spec)}

complete -F _mcsync mcsync
`;
}
