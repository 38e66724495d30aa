import { approveByCallback } from '../../lib/app/approve-by-callback.js';
import { verifyCallbackToken } from '../../lib/http/callback-token.js';
import { HttpError, json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { rolloutView } from '../../lib/http/views.js';
import { callbackSecret, deliveryClaims, getDependencies } from '../wiring.js';

/** POST /callbacks/{token}: a signed, expiring, single-use approval or rejection; the token is the credential. */
export const handler = route({ role: 'public', tokens: async () => [] }, async (event) => {
  const secret = await callbackSecret();
  if (!secret) throw new HttpError(503, 'NotConfigured', 'Callback links are not configured on this engine');
  const deps = getDependencies();
  const claim = verifyCallbackToken(secret, event.pathParameters?.token ?? '', deps.clock.now());
  const outcome = await approveByCallback(deps, deliveryClaims(), {
    rolloutId: claim.r, gate: claim.g, decision: claim.a, nonce: claim.n, expiresAt: new Date(claim.exp * 1000),
  });
  return json(200, { ...rolloutView(outcome.rollout), alreadyDone: outcome.alreadyDone });
});
