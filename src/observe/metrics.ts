// What a component needs to count things for /metrics: counters and gauges with labels, and
// gauges computed at scrape time. The registry that renders them (Prometheus text format) is
// src/server/metrics.ts.

export type Labels = Record<string, string>;

export type Counter = (labels?: Labels, by?: number) => void;

export type Gauge = (labels: Labels, value: number) => void;

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  /** A gauge whose samples are read when /metrics is scraped. */
  collectedGauge(name: string, help: string, collect: () => { labels: Labels; value: number }[]): void;
}

/** A registry that can also be scraped (the HTTP listener's /metrics). */
export interface MetricsExposition extends MetricsRegistry {
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
}
