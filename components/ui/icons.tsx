import type { ComponentProps } from 'react';

type IconProps = ComponentProps<'svg'>;

function Icon({ children, ...props }: IconProps) {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.75}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden
      width={16}
      height={16}
      {...props}
    >
      {children}
    </svg>
  );
}

export function SunIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="12" cy="12" r="4" />
      <path d="M12 2v2M12 20v2M4.93 4.93l1.41 1.41M17.66 17.66l1.41 1.41M2 12h2M20 12h2M4.93 19.07l1.41-1.41M17.66 6.34l1.41-1.41" />
    </Icon>
  );
}

export function MoonIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M20.5 14.5A8.5 8.5 0 0 1 9.5 3.5a8.5 8.5 0 1 0 11 11Z" />
    </Icon>
  );
}

export function ChevronIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="m9 6 6 6-6 6" />
    </Icon>
  );
}

/** The Spine mark: a column of linked vertebrae. */
export function SpineMark(props: IconProps) {
  return (
    <Icon strokeWidth={2} {...props}>
      <path d="M12 2v20" opacity={0.35} />
      <rect x="7" y="3.5" width="10" height="4" rx="2" fill="currentColor" stroke="none" />
      <rect x="8" y="10" width="8" height="4" rx="2" fill="currentColor" stroke="none" />
      <rect x="9" y="16.5" width="6" height="4" rx="2" fill="currentColor" stroke="none" />
    </Icon>
  );
}
