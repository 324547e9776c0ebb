import type { Metadata } from 'next';
import { SettingsPage } from '@/components/admin/SettingsPage';

export const metadata: Metadata = { title: 'Settings' };

export default function Settings() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Settings</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Your account; for admins, people and API keys.</p>
      </div>
      <SettingsPage />
    </div>
  );
}
