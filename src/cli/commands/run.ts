// `mcsync run`: the command definition of the controller; the process itself is ../run.ts.
import { Option, type Command } from 'commander';
import { ConfigError } from '../../config/load.ts';
import { FIELD_MANAGER } from '../../kube/write.ts';
import { EXIT, UsageError, type Io } from '../io.ts';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat } from '../log.ts';
import { parseListen, runController } from '../run.ts';

interface RunOpts {
  config?: string;
  clusterSvcCfgFile?: string;
  localCluster?: string;
  leaderElect?: boolean;
  identity?: string;
  listen: string;
  shutdownTimeout: string;
  watchConfig: boolean;
  fieldManager: string;
  statusPage?: boolean;
  debug?: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

export function runCommand(program: Command, io: Io): void {
  program.command('run')
    .description('keep replicas current: watch every cluster and reconcile each change as it happens (controller mode)')
    .option('-c, --config <file>', 'mcsync config file (YAML)')
    .addOption(new Option('--clusterSvcCfgFile <file>', 'the original automation\'s name for --config').hideHelp())
    .option('--local-cluster <name>', 'pull mode: read every cluster, write only to this one (run one instance per cluster)')
    .option('--leader-elect', 'only the holder of a coordination.k8s.io Lease writes (see leaderElection in the config)')
    .option('--identity <id>', 'this instance\'s name in the Lease (default: host_pid_random)')
    .option('--listen <host:port>', '/metrics, /healthz, /readyz and /status', '127.0.0.1:9090')
    .option('--shutdown-timeout <seconds>', 'how long SIGTERM waits for writes in flight', '30')
    .option('--field-manager <name>', 'field manager recorded on every write (managedFields)', FIELD_MANAGER)
    .option('--status-page', 'serve a read-only status page at / on --listen (its data at /fleet)')
    .option('--no-watch-config', 'reload only on SIGHUP, not when the config file changes')
    .option('--debug', 'debug logging (same as --log-level debug)')
    .addOption(new Option('--log-level <level>', 'logs go to stderr').choices(LOG_LEVELS).default('info'))
    // JSON whatever stderr is: a controller's logs are read by a collector more often than by a person.
    .addOption(new Option('--log-format <format>', 'json: pino JSON lines; pretty: one short line each').choices(LOG_FORMATS).default('json'))
    .action(async (opts: RunOpts) => {
      const file = opts.config ?? opts.clusterSvcCfgFile;
      if (!file) {
        io.err('error: --config FILE is required');
        io.setExitCode(EXIT.usage);
        return;
      }
      const timeout = Number(opts.shutdownTimeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--shutdown-timeout must be a positive number of seconds, not "${opts.shutdownTimeout}"`);
      try {
        parseListen(opts.listen);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const log = createLogger(opts.debug ? 'debug' : opts.logLevel, opts.logFormat);
      try {
        const code = await runController({
          file, log, localCluster: opts.localCluster, leaderElect: opts.leaderElect ?? false, identity: opts.identity,
          listen: opts.listen, shutdownTimeoutMs: timeout * 1000, watchConfig: opts.watchConfig, fieldManager: opts.fieldManager,
          statusPage: opts.statusPage ?? false,
        });
        io.setExitCode(code);
      } catch (err) {
        if (err instanceof ConfigError) {
          io.err(`error: ${err.message}`);
          io.setExitCode(EXIT.config);
          return;
        }
        throw err;
      }
    });
}
