/**
 * `horarium/prometheus`: a scheduler's metrics on your prom-client registry
 * (`prom-client` is an optional peer dependency: install it to use this entry
 * point). docs/observability.md lists the metrics and alert rules.
 *
 * @module horarium/prometheus
 */
export {
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
  registerMetrics,
} from './observability/prometheus/register-metrics.ts';
