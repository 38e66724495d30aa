import { useState } from 'react';
import { App, Button, Input, Modal, Space, Tooltip, Typography } from 'antd';
import { ApiError, allowedActions, api, applicableActions, type ActionKind, type RolloutView } from '../api';
import { useSession } from '../session';

const LABEL: Record<ActionKind, string> = { approve: 'Approve', reject: 'Reject', pause: 'Pause', resume: 'Resume', abort: 'Abort', promote: 'Promote' };
const DANGER = new Set<ActionKind>(['reject', 'abort']);

const gateLabel = (rollout: RolloutView): string => {
  const gate = rollout.pause?.gate;
  if (gate === undefined) return 'the open gate';
  return gate === 'promotion' ? 'promotion' : `step ${gate + 1}/${rollout.step.total} (${rollout.spec.steps[gate]?.weight ?? '?'}%)`;
};

function question(action: ActionKind, rollout: RolloutView): string {
  switch (action) {
    case 'approve': return `Approve ${gateLabel(rollout)} of ${rollout.name}?`;
    case 'reject': return `Reject ${gateLabel(rollout)}? ${rollout.name} will be rolled back.`;
    case 'abort': return `Abort ${rollout.name}? Traffic goes back to stable and the canary is deleted.`;
    case 'promote': return `Promote ${rollout.canaryImage} to all traffic now, skipping the remaining steps?`;
    case 'pause': return `Pause ${rollout.name}? It holds its current weight until resumed.`;
    case 'resume': return `Resume ${rollout.name}?`;
  }
}

/**
 * The buttons the token's role allows (the API enforces the same rule); the ones that do not apply
 * to the rollout's phase are disabled. Every action asks for confirmation and takes an optional comment.
 */
export function Actions({ rollout, onDone }: { rollout: RolloutView; onDone: () => void }) {
  const { token, role } = useSession();
  const { message } = App.useApp();
  const [pending, setPending] = useState<ActionKind>();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const allowed = allowedActions(role);
  const applicable = applicableActions(rollout);
  if (allowed.length === 0 || applicable.length === 0) return null;

  const confirm = async (): Promise<void> => {
    if (!pending) return;
    setBusy(true);
    const gate = rollout.pause?.gate;
    const step = pending === 'approve' || pending === 'reject' ? (gate === 'promotion' ? 'promotion' : gate !== undefined ? gate + 1 : undefined) : undefined;
    try {
      await api.act(token, rollout.id, pending, { ...(comment.trim() ? { comment: comment.trim() } : {}), ...(step !== undefined ? { step } : {}) });
      void message.success(`${LABEL[pending]}: done`);
      setPending(undefined);
      setComment('');
      onDone();
    } catch (error) {
      void message.error(error instanceof ApiError ? `${LABEL[pending]} refused: ${error.message}` : `${LABEL[pending]} failed`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Space wrap data-testid="actions">
        {allowed.map((action) => {
          const enabled = applicable.includes(action);
          const button = (
            <Button key={action} danger={DANGER.has(action)} type={action === 'approve' && enabled ? 'primary' : 'default'} disabled={!enabled}
              onClick={() => setPending(action)} data-testid={`action-${action}`}>
              {LABEL[action]}
            </Button>
          );
          return enabled ? button : <Tooltip key={action} title={`Not possible while ${rollout.phase}`}>{button}</Tooltip>;
        })}
      </Space>
      <Modal open={pending !== undefined} title={pending ? `${LABEL[pending]} rollout` : ''} okText={pending ? LABEL[pending] : 'OK'}
        okButtonProps={{ danger: pending ? DANGER.has(pending) : false, loading: busy, ...{ 'data-testid': 'confirm-action' } }}
        onOk={() => void confirm()} onCancel={() => { setPending(undefined); setComment(''); }} destroyOnHidden>
        {pending && <Typography.Paragraph>{question(pending, rollout)}</Typography.Paragraph>}
        <Input.TextArea rows={3} maxLength={2000} placeholder="Comment (optional, recorded in the audit trail)" value={comment}
          onChange={(e) => setComment(e.target.value)} data-testid="action-comment" />
      </Modal>
    </>
  );
}
