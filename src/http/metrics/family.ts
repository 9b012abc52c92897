/**
 * Metric families rebuilt from the latest state at each scrape (prom-client `collect()`): label sets of
 * things that are gone disappear, and a scrape does no I/O.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string | number>;
export type Emit = (labels: Labels, value: number) => void;

interface FamilySpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** Called at each scrape; emits the current value of every label set. */
  fill: (emit: Emit) => void;
}

export function gaugeFamily(registers: Registry[], spec: FamilySpec): void {
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers,
    collect() {
      this.reset();
      spec.fill((labels, value) => this.set(labels, value));
    },
  });
}

/** A counter whose value is owned elsewhere (a running total kept by vigil or by PM2). */
export function counterFamily(registers: Registry[], spec: FamilySpec): void {
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers,
    collect() {
      this.reset();
      spec.fill((labels, value) => this.inc(labels, Math.max(0, value)));
    },
  });
}

/**
 * The fill of a per-item family: one sample per item, labelled by `labels`; a null value means that item
 * has no series (unknown is not 0). `items` is read at each scrape.
 */
export function perItem<T>(items: () => Iterable<T>, labels: (item: T) => Labels) {
  return (value: (item: T) => number | null) =>
    (emit: Emit): void => {
      for (const item of items()) {
        const v = value(item);
        if (v !== null) emit(labels(item), v);
      }
    };
}
