import { useEffect } from 'react';
import { Alert } from 'antd';
import type { ApiError } from '../api';
import { useSession } from '../session';

/** Shows a failed poll; a 401 (token revoked or rotated) signs the user out instead. */
export function ApiProblem({ error, what }: { error: ApiError | undefined; what: string }) {
  const { logout } = useSession();
  useEffect(() => {
    if (error?.status === 401) logout();
  }, [error, logout]);
  if (!error || error.status === 401) return null;
  const text = error.status === 0 ? 'The API cannot be reached; retrying every 2 s.' : `${error.message} (${error.status})`;
  return <Alert type="error" showIcon title={`Could not load ${what}`} description={text} style={{ marginBottom: 16 }} />;
}
