import { describe, expect, it } from 'vitest';
import { planAttendance } from '../../src/domain/attendance.ts';
import type { LocalDateTime } from '../../src/domain/local-date-time.ts';
import { type OwnerId, parseOwnerId } from '../../src/domain/owner-id.ts';

const user = 'user_1732500000000_123456789012' as OwnerId;
// 2025-01-03T10:00:00 in Seoul.
const now = Date.UTC(2025, 0, 3, 1, 0, 0);

describe('planAttendance', () => {
  it('takes now in the business zone when no time is given, and stores its business date', () => {
    const plan = planAttendance({ userId: user, requestedTime: undefined, nowEpochMs: now, zone: 'Asia/Seoul' });
    expect(plan).toEqual({
      kind: 'ready',
      attendance: {
        userId: user,
        attendanceTime: '2025-01-03T10:00:00',
        attendanceDate: '2025-01-03',
        createdAt: '2025-01-03T10:00:00',
      },
    });
  });

  it('accepts a time up to 5 minutes ahead of the clock and refuses one beyond', () => {
    const at = (t: string) =>
      planAttendance({ userId: user, requestedTime: t as LocalDateTime, nowEpochMs: now, zone: 'Asia/Seoul' });
    expect(at('2025-01-03T10:05:00').kind).toBe('ready');
    expect(at('2025-01-03T10:05:00.000001')).toEqual({ kind: 'in-future', latestAllowed: '2025-01-03T10:05:00' });
  });

  it('dates a late-evening attendance by the business zone, not UTC', () => {
    const plan = planAttendance({
      userId: user,
      requestedTime: '2025-01-02T23:30:00' as LocalDateTime,
      nowEpochMs: now,
      zone: 'Asia/Seoul',
    });
    expect(plan.kind === 'ready' && plan.attendance.attendanceDate).toBe('2025-01-02');
  });
});

describe('parseOwnerId', () => {
  it('accepts GrewMeet user ids, which are not UUIDs, and e-mail-shaped ids', () => {
    expect(parseOwnerId('user_1732500000000_123456789012')).toEqual({ ok: true, value: 'user_1732500000000_123456789012' });
    expect(parseOwnerId('jiwoo.kim+grewmeet@example.com').ok).toBe(true);
    expect(parseOwnerId('u'.repeat(64)).ok).toBe(true);
  });

  it.each([
    [undefined, 'is missing'],
    ['', 'is missing'],
    ['   ', 'is missing'],
    ['x'.repeat(65), 'longer than 64'],
    ['abc\u0007', 'control characters'],
    [' abc', 'white space'],
    // Hangul and emoji: HTTP header bytes are not text, and the store compares byte for byte.
    ['사용자-1', 'outside ASCII'],
    ['user_😀', 'outside ASCII'],
    // The same ids as Node hands them over when a client sends them as UTF-8 (read as latin1).
    [Buffer.from('사용자-1').toString('latin1'), 'outside ASCII'],
    [Buffer.from('user_😀').toString('latin1'), 'outside ASCII'],
    ['😀'.repeat(64), 'outside ASCII'],
  ])('refuses %j', (raw, reason) => {
    const check = parseOwnerId(raw);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain(reason);
  });
});
