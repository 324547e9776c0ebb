import { LiveEvents } from '@/components/timeline/LiveEvents';

export default function HomePage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Timeline</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
          Every event on the spine, in commit order, as it happens.
        </p>
      </div>
      <LiveEvents />
    </div>
  );
}
