import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { forgetSession, rememberSession, restoreSession, SessionProvider, type Session } from './api/session';
import { LiveStateProvider, LiveStatus, useLiveEvents } from './live/live-events';
import { ConnectTenant } from './screens/connect-tenant';
import { Operations } from './screens/operations';
import { SignIn } from './screens/sign-in';
import { Tenant } from './screens/tenant';
import { Tenants } from './screens/tenants';
import { UserDetail } from './screens/user-detail';
import { hrefOf, useRoute, type Route } from './ui/route';

export function App() {
  const [session, setSession] = useState<Session | null>(() => restoreSession());
  const queryClient = useQueryClient();
  if (!session) {
    return (
      <SignIn
        onSignedIn={(next) => {
          rememberSession(next);
          setSession(next);
        }}
      />
    );
  }
  const signOut = () => {
    forgetSession();
    queryClient.clear();
    // the next key starts from the tenant list, not from a place of the previous workspace
    window.location.hash = '#/';
    setSession(null);
  };
  return (
    <SessionProvider session={session}>
      <Shell onSignOut={signOut} />
    </SessionProvider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const live = useLiveEvents();
  return (
    <LiveStateProvider value={live}>
      {/* the hash is the console's route: the skip link moves focus itself instead of changing it */}
      <a className="skip-link" href="#main" onClick={skipToContent}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand">kb4-directory console</span>
        <nav aria-label="Main">
          <NavLink route={{ name: 'tenants' }} current={route.name === 'tenants' || route.name === 'tenant' || route.name === 'user'} label="Tenants" />
          <NavLink route={{ name: 'operations' }} current={route.name === 'operations'} label="Operations" />
          <NavLink route={{ name: 'connect' }} current={route.name === 'connect'} label="Connect a tenant" />
        </nav>
        <LiveStatus state={live} />
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen route={route} />
      </main>
    </LiveStateProvider>
  );
}

function skipToContent(event: React.MouseEvent<HTMLAnchorElement>): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function NavLink({ route, current, label }: { route: Route; current: boolean; label: string }) {
  return (
    <a href={hrefOf(route)} aria-current={current ? 'page' : undefined}>
      {label}
    </a>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'tenants':
      return <Tenants />;
    case 'connect':
      return <ConnectTenant />;
    case 'operations':
      return <Operations />;
    case 'tenant':
      return <Tenant accountId={route.accountId} tab={route.tab} />;
    case 'user':
      return <UserDetail accountId={route.accountId} userId={route.userId} />;
  }
}
