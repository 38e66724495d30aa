import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import { Button, Layout, Spin, Tag, Typography } from 'antd';
import { ApiError, api, type Principal } from './api';
import { Login, loginProblem } from './pages/Login';
import { href, useRoute } from './router';
import { SessionContext, forgetToken, storeToken, storedToken, type Session } from './session';

// Each page is its own chunk, fetched when first shown: the login screen needs none of them.
const RolloutList = lazy(() => import('./pages/RolloutList').then((m) => ({ default: m.RolloutList })));
const RolloutPage = lazy(() => import('./pages/RolloutPage').then((m) => ({ default: m.RolloutPage })));
const ReleaseList = lazy(() => import('./pages/Releases').then((m) => ({ default: m.ReleaseList })));
const ReleasePage = lazy(() => import('./pages/Releases').then((m) => ({ default: m.ReleasePage })));

/** Login gate, header and page switch. A token the API stops accepting sends the user back to login. */
export function Shell() {
  const [who, setWho] = useState<(Principal & { token: string }) | null>(null);
  const [checking, setChecking] = useState(() => storedToken() !== null);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();

  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    api.whoami(token)
      .then((principal) => setWho({ ...principal, token }))
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) forgetToken();
        setNotice(loginProblem(error));
      })
      .finally(() => setChecking(false));
  }, []);

  const logout = useCallback(() => {
    forgetToken();
    setWho(null);
  }, []);
  const session = useMemo<Session | null>(() => (who ? { ...who, logout } : null), [who, logout]);

  if (checking) return <Spin fullscreen description="Checking the token" />;
  if (!session) {
    return <Login notice={notice} onLogin={(token, principal) => { storeToken(token); setNotice(undefined); setWho({ ...principal, token }); }} />;
  }

  const active = route.page === 'releases' || route.page === 'release' ? 'releases' : 'rollouts';
  return (
    <SessionContext.Provider value={session}>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 16, height: 'auto', lineHeight: '48px', padding: '0 16px' }}>
          <Typography.Text strong style={{ color: '#fff', fontSize: 18 }}>Codedance</Typography.Text>
          <nav style={{ display: 'flex', gap: 12 }}>
            {(['rollouts', 'releases'] as const).map((page) => (
              <a key={page} href={href({ page })} data-testid={`nav-${page}`}
                style={{ color: active === page ? '#fff' : 'rgba(255,255,255,0.65)', fontWeight: active === page ? 600 : 400 }}>
                {page === 'rollouts' ? 'Rollouts' : 'Releases'}
              </a>
            ))}
          </nav>
          <span style={{ marginLeft: 'auto', display: 'flex', alignItems: 'center', gap: 8 }}>
            <Tag color="blue" data-testid="whoami">{session.name} · {session.role}</Tag>
            <Button size="small" onClick={logout} data-testid="logout">Sign out</Button>
          </span>
        </Layout.Header>
        <Layout.Content style={{ padding: 16, maxWidth: 1400, width: '100%', margin: '0 auto', boxSizing: 'border-box' }}>
          <Suspense fallback={<Spin style={{ display: 'block', margin: 48 }} />}>
            {route.page === 'rollouts' && <RolloutList />}
            {route.page === 'rollout' && <RolloutPage key={route.id} id={route.id} />}
            {route.page === 'releases' && <ReleaseList />}
            {route.page === 'release' && <ReleasePage key={route.id} id={route.id} />}
          </Suspense>
        </Layout.Content>
      </Layout>
    </SessionContext.Provider>
  );
}
