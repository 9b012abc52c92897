/**
 * The alert engine's vocabulary (contracts.md section 5). A rule turns a snapshot into conditions; the
 * evaluator turns (condition, previous state, now) into the next state; the policy decides what to notify.
 */
import type { SourceName } from '../snapshot';
import type { Severity } from '../notify/types';

export type { Severity };

/** What a rule says about one alert (alertname, subject) at one instant. */
export interface Condition {
  alertname: string;
  subject: string;
  severity: Severity;
  /** How long the condition must hold before the alert fires; 0 fires at once. */
  forMs: number;
  /** 'unknown' holds the alert's state: it neither fires nor resolves (its data cannot be read now). */
  active: boolean | 'unknown';
  /** One line with the values that matter. Built from data: notifiers escape it. */
  summary: string;
  /** The source the alert reads; while it is down the state is held. Null for vigil's own alerts. */
  source: SourceName | null;
}

export type Phase = 'pending' | 'firing' | 'resolved';

/** One alert's state; persisted. Inactive alerts have no state; resolved ones stay only until their resolution is sent. */
export interface AlertState {
  alertname: string;
  subject: string;
  severity: Severity;
  source: SourceName | null;
  summary: string;
  phase: Phase;
  /** Epoch ms the condition became true (start of pending). */
  activeSince: number;
  /** Epoch ms it started firing; null while pending. */
  firingSince: number | null;
  /** Epoch ms it resolved; null unless resolved. */
  resolvedAt: number | null;
  /** Epoch ms of the last firing notification handed to the sink; null when none was. */
  lastNotifiedAt: number | null;
  /**
   * The summary that firing notification carried. The resolved message repeats it ("what was wrong"),
   * not the last summary seen before the condition cleared, which can describe a passing moment.
   */
  notifiedSummary: string | null;
  /** Epoch ms since which a notification of this alert waits for its group to go out; null when none is due. */
  dueSince: number | null;
  /** Lines such as "started avatar-generator-worker (attempt 1/3)", sent with this alert's next notification. */
  actions: string[];
}

/** Why an alert that would be notified is not. */
export type Silence = 'maintenance' | 'inhibited' | 'severity';

/** An alert as /health, /metrics and the CLI show it. */
export interface ActiveAlert {
  alertname: string;
  subject: string;
  severity: Severity;
  state: 'pending' | 'firing';
  /** Epoch ms: firing since, or pending since. */
  since: number;
  summary: string;
  /** Why it is not being notified, when it is not. */
  silenced: Silence | null;
}

/** Identity of an alert: (alertname, subject). */
export function alertKey(alertname: string, subject: string): string {
  return `${alertname}\u0000${subject}`;
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };
