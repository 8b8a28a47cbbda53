/**
 * `horarium/otel`: OpenTelemetry spans and metrics for Horarium
 * (`@opentelemetry/api` is an optional peer dependency: install it to use this
 * entry point). docs/observability.md lists the spans, attributes and metrics.
 *
 * @module horarium/otel
 */
export {
  type HorariumInstrumentation,
  type HorariumInstrumentationOptions,
  instrumentHorarium,
} from './observability/otel/instrument.ts';
