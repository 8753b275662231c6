// `npm version X` runs this (package.json's "version" script) after it has written X into
// package.json: the chart's version and appVersion and the manifests' image tag follow, so a
// release never ships a chart that installs the previous image. release-version.test.ts fails
// when they disagree with package.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const PACKAGE_JSON = at('../package.json');
export const CHART_YAML = at('./helm/mcsync/Chart.yaml');
export const MANIFESTS = [at('./manifests/push.yaml'), at('./manifests/pull.yaml')];

export function packageVersion(): string {
  return (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
}

export function chartWithVersion(text: string, version: string): string {
  return text.replace(/^version: .*$/m, `version: ${version}`).replace(/^appVersion: .*$/m, `appVersion: "${version}"`);
}

export function manifestWithVersion(text: string, version: string): string {
  return text.replace(/^(\s+image: mcsync:).*$/gm, `$1${version}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = packageVersion();
  writeFileSync(CHART_YAML, chartWithVersion(readFileSync(CHART_YAML, 'utf8'), version));
  for (const m of MANIFESTS) writeFileSync(m, manifestWithVersion(readFileSync(m, 'utf8'), version));
  console.log(`chart and manifests at ${version}`);
}
