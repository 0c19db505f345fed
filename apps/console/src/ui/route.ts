import { useEffect, useState } from 'react';

/** The console's places; only ids are in the URL (hash), never a credential. */
export type Route =
  | { name: 'tenants' }
  | { name: 'connect' }
  | { name: 'operations' }
  | { name: 'tenant'; accountId: string; tab: TenantTab }
  | { name: 'user'; accountId: string; userId: string };

export const TENANT_TABS = ['users', 'rules', 'roster', 'syncs'] as const;
export type TenantTab = (typeof TENANT_TABS)[number];

const ID = '[A-Za-z0-9._:-]{1,128}';

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const user = new RegExp(`^/tenants/(${ID})/users/(${ID})$`).exec(path);
  if (user) return { name: 'user', accountId: user[1], userId: decodeURIComponent(user[2]) };
  const tenant = new RegExp(`^/tenants/(${ID})(?:/(\\w+))?$`).exec(path);
  if (tenant) {
    const tab = (TENANT_TABS as readonly string[]).includes(tenant[2] ?? '') ? (tenant[2] as TenantTab) : 'users';
    return { name: 'tenant', accountId: tenant[1], tab };
  }
  if (path === '/connect') return { name: 'connect' };
  if (path === '/operations') return { name: 'operations' };
  return { name: 'tenants' };
}

export function hrefOf(route: Route): string {
  switch (route.name) {
    case 'tenants':
      return '#/';
    case 'connect':
      return '#/connect';
    case 'operations':
      return '#/operations';
    case 'tenant':
      return `#/tenants/${route.accountId}/${route.tab}`;
    case 'user':
      return `#/tenants/${route.accountId}/users/${encodeURIComponent(route.userId)}`;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route);
}
