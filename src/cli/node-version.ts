// mcsync's dependencies need Node.js 22 or newer; on an older Node they fail deep inside a
// library with a stack trace. Checked before anything else is loaded, so the user reads why.
export const MIN_NODE_MAJOR = 22;

/** The message to print when `version` (process.versions.node) is too old, else undefined. */
export function nodeTooOld(version: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return `mcsync needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${version}. Install a newer Node.js, or run mcsync from its container image.`;
}
