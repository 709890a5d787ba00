/** Completed runs by outcome, as a small list: shared by the process list and the
 * statistics view. Renders nothing when no run has completed yet. */
import { useT } from '../i18n';

export function Outcomes({ completed, label }: {
  completed: Record<string, number> | undefined;
  label?: string;
}) {
  const t = useT();
  const entries = Object.entries(completed ?? {});
  if (entries.length === 0) return null;
  return (
    <ul className="outcomes" aria-label={label}>
      {entries.map(([o, n]) => (
        <li key={o}>
          {o || t('list.noOutcome')}: {n}
        </li>
      ))}
    </ul>
  );
}
