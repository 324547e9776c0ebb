/**
 * Starting the OpenTelemetry export (exporter.ts) when the environment configures an OTLP endpoint
 * (config.ts). The SDK and its exporters (~10 MiB) are loaded only then: a process that exports nothing
 * does not hold them.
 */
import type { Spine } from '@/server/spine';
import { otelConfigFromEnv } from './config';
import type { Tracing } from './exporter';

export type { Tracing };

export type TracingOptions = {
  spine: Spine;
  /** The variables to read (config.ts). @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Whether this process exports now: the one that leads the engine (on PostgreSQL one instance at a time),
   * so several instances on one database export each span once. A new leader picks up the runs in flight
   * from the log. @default always
   */
  active?: () => boolean;
};

/**
 * Starts the export when the environment asks for it; null when it is off.
 * @example const tracing = await startTracing({ spine }); … await tracing?.stop();
 */
export async function startTracing(opts: TracingOptions): Promise<Tracing | null> {
  const config = otelConfigFromEnv(opts.env ?? process.env);
  if (!config) return null;
  const { startExport } = await import('./exporter');
  return startExport(opts.spine, config, opts.active ?? (() => true));
}
