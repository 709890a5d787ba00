/** The 30 days of the statistics chart: the API's `daily` rows placed on consecutive days
 * ending today (UTC), missing days as zeros. */
import type { DailyStats } from '../types';

export function last30Days(daily: DailyStats[] | undefined, today: Date = new Date(), days = 30): DailyStats[] {
  const byDay = new Map((daily ?? []).map((d) => [d.day.slice(0, 10), d]));
  const out: DailyStats[] = [];
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(end - i * 86400000).toISOString().slice(0, 10);
    const d = byDay.get(day);
    out.push({ day, entered: d?.entered ?? 0, completed: d?.completed ?? 0, exited: d?.exited ?? 0 });
  }
  return out;
}
