/** The process statistics: totals (entered, in process, completed by outcome, exited,
 * failed) and a bar chart of the last 30 days, with the same numbers as a table for
 * screen readers. */
import { memo, useMemo } from 'react';
import { useI18n, useT } from '../i18n';
import type { ProcessStats } from '../types';
import { Outcomes } from '../components/Outcomes';
import { last30Days } from './daily';

const SERIES = [
  { key: 'entered', color: '#2b5fab' },
  { key: 'completed', color: '#1f6f5c' },
  { key: 'exited', color: '#a15c00' },
] as const;

export const StatsView = memo(function StatsView({ stats, error }: { stats: ProcessStats | null; error: string | null }) {
  const t = useT();
  if (error) return <p className="error-text" role="alert">{t('stats.loadFailed')} {error}</p>;
  if (!stats) return <p className="loading">{t('app.loading')}</p>;
  const completed = Object.values(stats.completed ?? {}).reduce((a, n) => a + n, 0);
  return (
    <div className="stats-view">
      <h2>{t('stats.title')}</h2>
      <dl className="totals">
        <div>
          <dt>{t('stats.entered')}</dt>
          <dd>{stats.entered}</dd>
        </div>
        <div>
          <dt>{t('stats.active')}</dt>
          <dd>{stats.active}</dd>
        </div>
        <div>
          <dt>{t('stats.completed')}</dt>
          <dd>
            {completed}
            <Outcomes completed={stats.completed} />
          </dd>
        </div>
        <div>
          <dt>{t('stats.exited')}</dt>
          <dd>{stats.exited}</dd>
        </div>
        <div>
          <dt>{t('stats.failed')}</dt>
          <dd>{stats.failed}</dd>
        </div>
      </dl>
      <h3>{t('stats.daily')}</h3>
      <DailyChart daily={stats.daily} />
    </div>
  );
});

export const DailyChart = memo(function DailyChart({ daily }: { daily: ProcessStats['daily'] }) {
  const t = useT();
  const { lang } = useI18n();
  const days = useMemo(() => last30Days(daily), [daily]);
  const max = Math.max(1, ...days.flatMap((d) => [d.entered, d.completed, d.exited]));
  const W = 620;
  const H = 200;
  const padL = 34;
  const padB = 22;
  const slot = (W - padL) / days.length;
  const bar = Math.max(2, (slot - 3) / 3);
  const y = (v: number) => (H - padB) * (1 - v / max);
  const fmt = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const ticks = [...new Set([0, Math.round(max / 2), max])];
  return (
    <figure className="daily-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('stats.chartLabel')} preserveAspectRatio="xMidYMid meet">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={padL} x2={W} y1={y(v)} y2={y(v)} stroke="#d5dae1" />
            <text x={padL - 4} y={y(v) + 4} textAnchor="end" fontSize="10" fill="#3d4653">
              {v}
            </text>
          </g>
        ))}
        {days.map((d, i) => (
          <g key={d.day}>
            {SERIES.map((s, j) => (
              <rect key={s.key} x={padL + i * slot + 1 + j * bar} y={y(d[s.key])} width={bar} height={H - padB - y(d[s.key])} fill={s.color}>
                <title>{`${fmt(d.day)} · ${t(`stats.${s.key}`)}: ${d[s.key]}`}</title>
              </rect>
            ))}
            {i % 5 === 4 || i === 0 ? (
              <text x={padL + i * slot + slot / 2} y={H - 6} textAnchor="middle" fontSize="10" fill="#3d4653">
                {fmt(d.day)}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
            {t(`stats.${s.key}`)}
          </span>
        ))}
      </figcaption>
      <table className="visually-hidden">
        <caption>{t('stats.chartLabel')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('stats.day')}</th>
            <th scope="col">{t('stats.entered')}</th>
            <th scope="col">{t('stats.completed')}</th>
            <th scope="col">{t('stats.exited')}</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.day}>
              <th scope="row">{d.day}</th>
              <td>{d.entered}</td>
              <td>{d.completed}</td>
              <td>{d.exited}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
});
