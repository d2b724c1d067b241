// Pod events as the kubelet reports them (Started, BackOff, Unhealthy, Killing,
// FailedPostStartHook): a repeated event is counted rather than listed again,
// and only the most recent ones are kept. Pure, like kubectl's Events table.
import { humanDuration } from './table.js';

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export const MAX_EVENTS = 30;

export function recordEvent(events: readonly PodEvent[], type: PodEvent['type'], reason: string, message: string, now: string, max = MAX_EVENTS): PodEvent[] {
  const i = events.findIndex((e) => e.type === type && e.reason === reason && e.message === message);
  if (i >= 0) {
    const seen = events[i]!;
    return [...events.slice(0, i), ...events.slice(i + 1), { ...seen, count: seen.count + 1, lastSeen: now }];
  }
  return [...events, { type, reason, message, count: 1, firstSeen: now, lastSeen: now }].slice(-max);
}

/** kubectl describe's Events section: "10s (x3 over 2m)" for repeated events. */
export function eventsSection(events: readonly PodEvent[], nowMs: number): string[] {
  if (events.length === 0) return ['Events:            <none>'];
  const rows = events.map((e) => {
    const last = humanDuration(nowMs - Date.parse(e.lastSeen));
    const age = e.count > 1 ? `${last} (x${e.count} over ${humanDuration(nowMs - Date.parse(e.firstSeen))})` : last;
    return [e.type, e.reason, age, 'kubelet', e.message];
  });
  const header = ['Type', 'Reason', 'Age', 'From', 'Message'];
  // kubectl underlines Age with four dashes, like the other short headers.
  const all = [header, ['----', '------', '----', '----', '-------'], ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return ['Events:', ...all.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2))).join('')}`.trimEnd())];
}
