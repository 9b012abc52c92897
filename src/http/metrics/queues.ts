/** The vigil_queue_* families, from the snapshot's queue data. A queue that is gone (or Redis down) has no series. */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import { QUEUE_JOB_STATES, type QueueState } from '../../snapshot';
import { counterFamily, gaugeFamily, perItem } from './family';

export function registerQueueMetrics(registers: Registry[], runtime: Runtime): void {
  const eachQueue = perItem((): QueueState[] => Object.values(runtime.snapshot()?.queues?.queues ?? {}), (q) => ({ queue: q.name }));

  gaugeFamily(registers, {
    name: 'vigil_queue_jobs',
    help: 'Jobs in the queue per state.',
    labelNames: ['queue', 'state'],
    fill: (emit) => {
      for (const q of Object.values(runtime.snapshot()?.queues?.queues ?? {})) {
        for (const state of QUEUE_JOB_STATES) emit({ queue: q.name, state }, q.counts[state]);
      }
    },
  });
  gaugeFamily(registers, {
    name: 'vigil_queue_paused',
    help: 'Whether the queue is paused (1) or not (0).',
    labelNames: ['queue'],
    fill: eachQueue((q) => (q.paused ? 1 : 0)),
  });
  gaugeFamily(registers, {
    name: 'vigil_queue_workers',
    help: 'Workers attached to the queue (from one CLIENT LIST per poll); absent when it cannot be known.',
    labelNames: ['queue'],
    fill: eachQueue((q) => q.workers),
  });
  gaugeFamily(registers, {
    name: 'vigil_queue_oldest_waiting_seconds',
    help: 'Age of the oldest waiting (or prioritized) job of the queue; 0 when none waits.',
    labelNames: ['queue'],
    fill: eachQueue((q) => q.oldestWaitingSeconds),
  });
  counterFamily(registers, {
    name: 'vigil_queue_jobs_finished_total',
    help: "Jobs of the queue finished since vigil started, read from the queue's event stream.",
    labelNames: ['queue', 'status'],
    fill: (emit) => {
      for (const q of Object.values(runtime.snapshot()?.queues?.queues ?? {})) {
        emit({ queue: q.name, status: 'completed' }, q.finished.completed);
        emit({ queue: q.name, status: 'failed' }, q.finished.failed);
      }
    },
  });
  gaugeFamily(registers, {
    name: 'vigil_queue_failure_ratio',
    help: "Failed / finished jobs of the queue over its failureRate.window; absent below minJobs.",
    labelNames: ['queue'],
    fill: eachQueue((q) => q.failureRatio),
  });
}
