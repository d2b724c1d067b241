import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventsSection, recordEvent } from '../../src/runtime/events.js';

describe('pod events', () => {
  test('a repeated event is counted, and moves to the end', () => {
    let events = recordEvent([], 'Normal', 'Started', 'Started container web', '2026-01-01T00:00:00Z');
    events = recordEvent(events, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', '2026-01-01T00:00:01Z');
    events = recordEvent(events, 'Normal', 'Started', 'Started container web', '2026-01-01T00:00:05Z');
    assert.deepEqual(events.map((e) => [e.reason, e.count, e.firstSeen, e.lastSeen]), [
      ['Unhealthy', 1, '2026-01-01T00:00:01Z', '2026-01-01T00:00:01Z'],
      ['Started', 2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:05Z'],
    ]);
  });
  test('only the most recent are kept', () => {
    let events = recordEvent([], 'Normal', 'A', '0', 't');
    for (let i = 1; i < 5; i++) events = recordEvent(events, 'Normal', 'A', String(i), 't', 3);
    assert.deepEqual(events.map((e) => e.message), ['2', '3', '4']);
  });
  test('kubectl describe\'s Events table', () => {
    const now = Date.parse('2026-01-01T00:02:00Z');
    const events = recordEvent(recordEvent(recordEvent([], 'Normal', 'Started', 'Started container web', '2026-01-01T00:00:00Z'), 'Warning', 'BackOff', 'Back-off restarting failed container web in pod p', '2026-01-01T00:00:30Z'), 'Warning', 'BackOff', 'Back-off restarting failed container web in pod p', '2026-01-01T00:01:50Z');
    assert.deepEqual(eventsSection(events, now), [
      'Events:',
      '  Type     Reason   Age                From     Message',
      '  ----     ------   ----               ----     -------',
      '  Normal   Started  2m                 kubelet  Started container web',
      '  Warning  BackOff  10s (x2 over 90s)  kubelet  Back-off restarting failed container web in pod p',
    ]);
    assert.deepEqual(eventsSection([], now), ['Events:            <none>']);
  });
});
