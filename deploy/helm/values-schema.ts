// The chart's values.schema.json: Helm checks values against it before rendering, so a typo
// (`replica`, `mode: pul`, `config.clusters[0].nam`) fails `helm install` with the path of the
// bad value instead of rendering a release that misbehaves. `config` is the mcsync config's
// own JSON schema (src/config/json-schema.ts, the same one `npm run schema` writes to
// schema/), so the chart and the config cannot disagree; the rest describes the chart's knobs.
// `node deploy/helm/values-schema.ts` rewrites the file; values-schema.test.ts fails when the
// committed file is not what this generates.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../../src/config/json-schema.ts';

export const VALUES_SCHEMA_FILE = fileURLToPath(new URL('./mcsync/values.schema.json', import.meta.url));

type Schema = Record<string, unknown>;

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const strMap = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string' }, description });
/** A Kubernetes type the apiserver checks (EnvVar, Volume, …): Helm only checks it is an object. */
const objects = (description: string): Schema => ({ type: 'array', items: { type: 'object' }, description });
const obj = (description: string): Schema => ({ type: 'object', description });
const strict = (description: string, properties: Record<string, Schema>, required: string[] = []): Schema =>
  ({ type: 'object', description, properties, additionalProperties: false, ...(required.length ? { required } : {}) });
const intOrPercent: Schema = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+%$' }] };

export function valuesJsonSchema(): Schema {
  const { $schema, title: _title, ...config } = configJsonSchema() as Schema;
  return {
    $schema,
    title: 'mcsync Helm chart values',
    type: 'object',
    additionalProperties: false,
    required: ['config', 'mode', 'image'],
    properties: {
      config: { ...config, description: 'The mcsync config (docs/configuration.md), rendered into the ConfigMap the pods read.' },
      mode: str('push: one release writes everywhere; pull: a release in every cluster, each writing only to localCluster.', { enum: ['push', 'pull'] }),
      localCluster: str('pull mode: the name (in config.clusters) of the cluster this release runs in.'),
      image: strict('The mcsync image. There is no public one: build it (npm run image) and push it to your registry.', {
        repository: str('Required: your registry and repository, e.g. registry.example/mcsync (the template fails when empty).'),
        tag: str('Defaults to the chart\'s appVersion.'),
        pullPolicy: str('', { enum: ['Always', 'IfNotPresent', 'Never'] }),
      }, ['repository']),
      imagePullSecrets: { type: 'array', items: strict('', { name: str('A Secret of type kubernetes.io/dockerconfigjson in the release namespace.', { minLength: 1 }) }, ['name']), description: 'Credentials for a private registry.' },
      replicas: { type: 'integer', minimum: 1, description: 'More than one needs leaderElection.enabled.' },
      leaderElection: strict('', { enabled: bool('Only the holder of the Lease writes.') }),
      kubeconfigs: strict('Kubeconfigs mounted at /etc/mcsync/kubeconfigs/<key>.', {
        existingSecret: str('A Secret you manage; its keys are the file names.'),
        files: strMap('Or let the chart make the Secret: file name -> kubeconfig YAML text.'),
      }),
      serviceAccount: strict('The pods\' ServiceAccount.', {
        create: bool('Make it (false: use an existing one named serviceAccount.name).'),
        name: str('Defaults to the release\'s full name.'),
        annotations: strMap('E.g. eks.amazonaws.com/role-arn (EKS IAM roles) or iam.gke.io/gcp-service-account (GKE Workload Identity).'),
      }),
      rbac: strict('', { create: bool('ClusterRoles for reading sources and writing replicas in this cluster, a Role for the Lease.') }),
      admissionPolicy: strict('', { enabled: bool('A ValidatingAdmissionPolicy refusing writes by the release to objects mcsync does not own (Kubernetes >= 1.30).') }),
      statusPage: strict('', { enabled: bool('Serve the read-only status page at / on the metrics port (run --status-page).') }),
      metrics: strict('', {
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        service: strict('', { enabled: bool('A Service in front of the metrics port.') }),
        serviceMonitor: strict('Needs the Prometheus Operator\'s CRDs.', { enabled: bool(''), interval: str(''), labels: strMap('') }),
      }),
      podDisruptionBudget: strict('Keeps a drain from evicting every replica at once.', {
        enabled: bool(''),
        minAvailable: intOrPercent,
        maxUnavailable: intOrPercent,
      }),
      logLevel: str('', { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }),
      extraArgs: { type: 'array', items: { type: 'string' }, description: 'More `mcsync run` arguments.' },
      extraEnv: objects('More container env (EnvVar objects), e.g. PATH for an exec credential plugin.'),
      extraVolumes: objects('More pod volumes, e.g. one holding an exec credential plugin\'s binary.'),
      extraVolumeMounts: objects('Where the container mounts them.'),
      podAnnotations: strMap(''),
      podLabels: strMap(''),
      priorityClassName: str(''),
      topologySpreadConstraints: objects(''),
      resources: obj(''),
      podSecurityContext: obj(''),
      securityContext: obj(''),
      nodeSelector: strMap(''),
      tolerations: objects(''),
      affinity: obj(''),
    },
  };
}

export function valuesSchemaText(): string {
  return `${JSON.stringify(valuesJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(VALUES_SCHEMA_FILE, valuesSchemaText());
  console.log(`wrote ${VALUES_SCHEMA_FILE}`);
}
