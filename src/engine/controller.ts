// The controller now lives in engine/controller/; this path stays importable for callers that
// still name it (cli/program.ts imports ClusterHealth from here).
export { Controller, type ControllerOptions } from './controller/controller.ts';
export type { ClusterHealth } from './controller/health.ts';
