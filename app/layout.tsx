import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { TopBar } from '@/components/shell/TopBar';
import { THEME_INIT_SCRIPT } from '@/components/shell/theme';
import { TRPCReactProvider } from '@/components/trpc/client';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Spine', template: '%s · Spine' },
  description: 'The event spine for multi-agent systems',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // The theme script sets the `dark` class before hydration, hence suppressHydrationWarning (this element only).
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_INIT_SCRIPT }} />
      </head>
      <body className="min-h-dvh font-sans">
        <TRPCReactProvider>
          <TopBar />
          <main className="mx-auto w-full max-w-6xl px-4 py-8 sm:px-6">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
