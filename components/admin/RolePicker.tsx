'use client';
import { useId } from 'react';
import { ROLE_INFO, type Role } from '@/server/auth/roles';

/** One checkbox per role, with what the role allows. */
export function RolePicker({ value, onChange, legend, disabled, compact }: { value: readonly Role[]; onChange: (roles: Role[]) => void; legend: string; disabled?: boolean; compact?: boolean }) {
  const id = useId();
  const toggle = (role: Role, on: boolean) => onChange(ROLE_INFO.map((r) => r.role).filter((r) => (r === role ? on : value.includes(r))));
  return (
    <fieldset disabled={disabled} className="min-w-0">
      <legend className={compact ? 'sr-only' : 'mb-1.5 text-sm font-medium'}>{legend}</legend>
      <div className={compact ? 'flex flex-wrap gap-x-3 gap-y-1' : 'grid gap-1.5 sm:grid-cols-2'}>
        {ROLE_INFO.map((r) => (
          <label key={r.role} htmlFor={`${id}-${r.role}`} className="flex items-start gap-2 text-sm" title={r.description}>
            <input id={`${id}-${r.role}`} type="checkbox" className="mt-0.5 accent-indigo-600" checked={value.includes(r.role)} onChange={(e) => toggle(r.role, e.target.checked)} />
            <span>
              {r.role}
              {!compact && <span className="block text-xs text-zinc-500 dark:text-zinc-400">{r.description}</span>}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
