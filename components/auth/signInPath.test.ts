import { describe, expect, it } from 'vitest';
import { isPublicPath, safeNext, signInHref } from './signInPath';

describe('where sign-in returns to', () => {
  it('keeps a path on this site with its query and hash', () => {
    expect(safeNext('/approvals')).toBe('/approvals');
    expect(safeNext('/runs/abc?tab=events#e-12')).toBe('/runs/abc?tab=events#e-12');
  });

  it('refuses other sites, schemes, backslashes, control characters and the sign-in page itself', () => {
    for (const bad of ['//evil.example/x', 'https://evil.example', 'javascript:alert(1)', '/\\evil.example', '\\\\evil', '/a\nb', '/sign-in', '/sign-in?next=/x', 'approvals', '', null, undefined])
      expect(safeNext(bad), String(bad)).toBe('/');
  });

  it('builds the sign-in link with the current page as next', () => {
    expect(signInHref('/approvals?x=1')).toBe('/sign-in?next=%2Fapprovals%3Fx%3D1');
    expect(signInHref('/')).toBe('/sign-in');
    expect(signInHref('/sign-in?next=/x')).toBe('/sign-in');
    expect(isPublicPath('/sign-in')).toBe(true);
    expect(isPublicPath('/sign-into')).toBe(false);
  });
});
