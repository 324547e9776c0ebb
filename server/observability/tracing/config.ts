/**
 * Whether and where Spine exports OpenTelemetry, from the standard `OTEL_*` variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/ and the OTLP exporter
 * spec). Off unless an OTLP endpoint is set. The exporters themselves also read `OTEL_EXPORTER_OTLP_HEADERS`
 * (and the per-signal `…_TRACES_HEADERS` / `…_METRICS_HEADERS`), `…_TIMEOUT`, and the batch processor
 * `OTEL_BSP_*`; the tracer provider reads `OTEL_TRACES_SAMPLER(_ARG)`; the resource reads
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (service name `spine` unless they say otherwise).
 */

export type OtelConfig = {
  /** OTLP/HTTP (JSON) URL spans are POSTed to; null when traces are off. */
  tracesUrl: string | null;
  /** OTLP/HTTP (JSON) URL metrics are POSTed to; null when metrics are off. */
  metricsUrl: string | null;
  /** How often metrics are exported, in ms. @default 60000 (OTEL_METRIC_EXPORT_INTERVAL) */
  metricIntervalMs: number;
};

type Env = Record<string, string | undefined>;

const set = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/** `<endpoint>/v1/<signal>`, as the spec builds a signal's URL from OTEL_EXPORTER_OTLP_ENDPOINT. */
function signalUrl(base: string, signal: 'traces' | 'metrics'): string {
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * The export configuration of `env`, or null when nothing is to be exported: no OTLP endpoint set, or
 * `OTEL_SDK_DISABLED=true`. `OTEL_TRACES_EXPORTER=none` / `OTEL_METRICS_EXPORTER=none` turn one signal off.
 * @example otelConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracesUrl // 'http://127.0.0.1:4318/v1/traces'
 */
export function otelConfigFromEnv(env: Env = process.env): OtelConfig | null {
  if (set(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return null;
  const base = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const tracesOff = set(env.OTEL_TRACES_EXPORTER)?.toLowerCase() === 'none';
  const metricsOff = set(env.OTEL_METRICS_EXPORTER)?.toLowerCase() === 'none';
  const tracesEndpoint = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const metricsEndpoint = set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  const tracesUrl = tracesOff ? null : (tracesEndpoint ?? (base ? signalUrl(base, 'traces') : null));
  const metricsUrl = metricsOff ? null : (metricsEndpoint ?? (base ? signalUrl(base, 'metrics') : null));
  if (!tracesUrl && !metricsUrl) return null;
  const protocol = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? set(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  if (protocol && protocol !== 'http/json') console.warn(`spine: OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; exporting OTLP over http/json`);
  const interval = Number(set(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000);
  return { tracesUrl, metricsUrl, metricIntervalMs: Number.isFinite(interval) && interval > 0 ? interval : 60_000 };
}
