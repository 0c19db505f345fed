import { useState, type FormEvent } from 'react';
import { FailureError } from '../api/failure';
import { call, sessionFor, type Session } from '../api/session';
import { ErrorNotice } from '../ui/notices';

/** Sign in with a workspace API key: checked with one read before the console opens. */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecking(true);
    setError(null);
    const session = sessionFor(key.trim());
    try {
      await call(session.client.GET('/integrated-accounts', { params: { query: { limit: 1 } } }));
      onSignedIn(session);
    } catch (failure) {
      setError(failure instanceof FailureError ? failure : failure);
    } finally {
      setChecking(false);
    }
  };

  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">kb4-directory console</h1>
      <p>Every client tenant's KnowBe4 users in one place. Sign in with a workspace API key.</p>
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="api-key">Workspace API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={key}
          onChange={(event) => setKey(event.target.value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" className="muted">
          Starts with <code>kb4_</code>. Kept in this browser tab only, sent as an Authorization header, never put in a URL.
        </p>
        <button type="submit" disabled={checking || key.trim() === ''}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ErrorNotice error={error} what="Signing in" />
    </main>
  );
}
