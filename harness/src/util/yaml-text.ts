// Scalars for the YAML the harness writes as text (kubeconfigs, mcsync config files). A plain
// scalar is typed by whoever reads it, and readers disagree: Kubernetes' Go loader follows YAML
// 1.1, where `y`, `no`, `on` and `off` are booleans, while mcsync's loader and client-node follow
// YAML 1.2, where `1e3`, `0x1f`, `0o17`, `null` and `true` are not strings either. A
// double-quoted scalar is a string for all of them, so every string the harness writes goes
// through yamlString.

/**
 * `s` as a YAML double-quoted scalar. Everything outside printable ASCII is escaped: YAML 1.1
 * folds U+0085, U+2028 and U+2029 as line breaks inside quotes, and forbids raw control
 * characters, so JSON.stringify alone is not enough.
 */
export function yamlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
