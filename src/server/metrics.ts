// Prometheus text exposition format 0.0.4 for /metrics. A tiny registry: counters and gauges
// with labels; gauges may be computed at scrape time. Components see it through the
// MetricsRegistry interface (src/observe/metrics.ts).

import type { Counter, Gauge, Labels, MetricsExposition } from '../observe/metrics.ts';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  collect?: () => { labels: Labels; value: number }[];
}

const labelKey = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort());

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Metrics implements MetricsExposition {
  private readonly families = new Map<string, Family>();

  private family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { name, help, type, values: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  counter(name: string, help: string): Counter {
    const f = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const key = labelKey(labels);
      const entry = f.values.get(key);
      if (entry) entry.value += by;
      else f.values.set(key, { labels, value: by });
    };
  }

  gauge(name: string, help: string): Gauge {
    const f = this.family(name, help, 'gauge');
    return (labels, value) => {
      f.values.set(labelKey(labels), { labels, value });
    };
  }

  /** A gauge whose samples are read when /metrics is scraped. */
  collectedGauge(name: string, help: string, collect: () => { labels: Labels; value: number }[]): void {
    this.family(name, help, 'gauge').collect = collect;
  }

  render(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      const samples = f.collect ? f.collect() : [...f.values.values()];
      for (const { labels, value } of samples) {
        const entries = Object.entries(labels);
        const rendered = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
        lines.push(`${f.name}${rendered} ${value}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
