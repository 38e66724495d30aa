import { useEffect, useState } from 'react';

/**
 * Hash routes (#/rollouts/ro_x): the page works the same whether the API serves it at / or /ui/ or the
 * dev server at /ui/, and a reload never asks the server for a path it does not know.
 */
export type Route =
  | { page: 'rollouts' }
  | { page: 'rollout'; id: string }
  | { page: 'releases' }
  | { page: 'release'; id: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'rollouts' && parts[1]) return { page: 'rollout', id: parts[1] };
  if (parts[0] === 'releases' && parts[1]) return { page: 'release', id: parts[1] };
  if (parts[0] === 'releases') return { page: 'releases' };
  return { page: 'rollouts' };
}

export const href = (route: Route): string => {
  switch (route.page) {
    case 'rollout': return `#/rollouts/${encodeURIComponent(route.id)}`;
    case 'release': return `#/releases/${encodeURIComponent(route.id)}`;
    default: return `#/${route.page}`;
  }
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
