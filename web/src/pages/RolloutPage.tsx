import { useMemo } from 'react';
import { Alert, Card, Col, Descriptions, Empty, Row, Space, Statistic, Steps, Tag, Timeline, Typography } from 'antd';
import { api, type AuditEvent, type RolloutView } from '../api';
import { Actions } from '../components/Actions';
import { ApiProblem } from '../components/ApiProblem';
import { LineChart } from '../components/LineChart';
import { ago, phaseColor } from '../phase';
import { usePolling } from '../polling';
import { href } from '../router';
import { DECISIONS, metricSeries, scoreSeries, weightSeries } from '../series';
import { useSession } from '../session';

const seconds = (ms: number | undefined): string => (ms === undefined ? '' : ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`);

function stepStatus(rollout: RolloutView, index: number): 'wait' | 'process' | 'finish' | 'error' {
  const current = rollout.step.index;
  if (rollout.phase === 'Completed') return 'finish';
  if (index < current) return 'finish';
  if (index === current) return rollout.phase === 'Failed' || rollout.phase === 'RollingBack' ? 'error' : 'process';
  const gate = rollout.pause?.reason === 'AwaitingApproval' ? rollout.pause.gate : undefined;
  return gate === index ? 'process' : 'wait';
}

function StepTimeline({ rollout }: { rollout: RolloutView }) {
  const gate = rollout.pause?.reason === 'AwaitingApproval' ? rollout.pause.gate : undefined;
  const items = rollout.spec.steps.map((step, index) => ({
    title: `${step.weight}%`,
    status: stepStatus(rollout, index),
    content: [step.pauseMs ? `hold ${seconds(step.pauseMs)}` : '', step.approval ? (gate === index ? 'awaiting approval' : 'approval') : ''].filter(Boolean).join(' · '),
  }));
  items.push({ title: 'Promote', status: rollout.phase === 'Completed' ? 'finish' : rollout.phase === 'Promoting' ? 'process' : 'wait', content: gate === 'promotion' ? 'awaiting approval' : '' });
  // Before the first step (canary starting) no step is current yet.
  const current = rollout.phase === 'Completed' || gate === 'promotion' ? items.length - 1 : typeof gate === 'number' ? gate : rollout.step.index;
  return <Steps size="small" current={Math.max(current, -1)} items={items} responsive data-testid="step-timeline" />;
}

function AuditTrail({ events }: { events: AuditEvent[] }) {
  if (events.length === 0) return <Empty description="No events yet" />;
  const items = [...events].reverse().map((event, index) => {
    const bad = event.type === 'RollbackStarted' || event.type === 'RolledBack' || event.type === 'Rejected' || event.type === 'Aborted' || (event.type === 'Analysis' && event.data?.verdict === 'fail');
    const good = event.type === 'Completed' || event.type === 'Approved' || (event.type === 'Analysis' && event.data?.verdict === 'pass');
    const comment = typeof event.data?.comment === 'string' ? event.data.comment : undefined;
    return {
      key: `${event.position ?? index}`,
      color: bad ? 'red' : good ? 'green' : DECISIONS.has(event.type) ? 'blue' : 'gray',
      content: (
        <div data-testid="audit-event" data-type={event.type}>
          <Space wrap size={4}>
            <Tag color={bad ? 'error' : good ? 'success' : 'default'}>{event.type}</Tag>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{new Date(event.at).toLocaleTimeString()} · {event.actor ? event.actor.id : 'engine'}</Typography.Text>
          </Space>
          <div style={{ overflowWrap: 'anywhere' }}>{event.message}</div>
          {comment && <Typography.Text italic>“{comment}”</Typography.Text>}
        </div>
      ),
    };
  });
  return <Timeline items={items} data-testid="audit-trail" />;
}

export function RolloutPage({ id }: { id: string }) {
  const { token } = useSession();
  const { data, error, refresh } = usePolling(async (signal) => {
    const [rollout, events] = await Promise.all([api.rollout(token, id, signal), api.events(token, id, signal)]);
    return { rollout, events: events.items, at: Date.now() };
  }, [token, id]);
  const rollout = data?.rollout;
  const events = useMemo(() => data?.events ?? [], [data]);
  const weights = useMemo(() => weightSeries(events, rollout, data?.at ?? 0), [events, rollout, data]);
  const scores = useMemo(() => scoreSeries(events), [events]);
  const metrics = useMemo(() => metricSeries(events), [events]);

  if (!rollout) {
    return (
      <Card title={<a href={href({ page: 'rollouts' })}>← Rollouts</a>} loading={!error}>
        <ApiProblem error={error} what={`rollout ${id}`} />
      </Card>
    );
  }
  const last = rollout.analysis.last;
  const awaiting = rollout.phase === 'Paused' && rollout.pause?.reason === 'AwaitingApproval';
  const shownWeight = rollout.phase === 'Completed' ? 100 : rollout.canaryWeight;

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card
        title={<Space wrap><a href={href({ page: 'rollouts' })}>←</a><span data-testid="rollout-name">{rollout.name}</span><Tag color={phaseColor(rollout.phase)} data-testid="rollout-phase">{rollout.phase}</Tag></Space>}
        extra={<Typography.Text type="secondary" copyable={{ text: rollout.id }} style={{ fontSize: 12 }}>{rollout.id}</Typography.Text>}
      >
        <ApiProblem error={error} what="the latest state" />
        {awaiting && <Alert type="warning" showIcon title="Waiting for approval" description={rollout.pause?.message} style={{ marginBottom: 16 }} data-testid="awaiting-approval" />}
        {rollout.failure && (
          <Alert type="error" showIcon title={`${rollout.phase === 'Failed' ? 'Rolled back' : 'Rolling back'}: ${rollout.failure.reason}`}
            description={rollout.failure.message} style={{ marginBottom: 16 }} data-testid="failure-reason" />
        )}
        <Typography.Paragraph data-testid="rollout-message">{rollout.message}</Typography.Paragraph>
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} items={[
          { key: 'target', label: 'Target', children: `${rollout.cluster}/${rollout.namespace}/${rollout.targetDeployment}` },
          { key: 'image', label: 'Canary image', children: rollout.canaryImage },
          { key: 'step', label: 'Step', children: `${Math.max(0, rollout.step.number)}/${rollout.step.total}` },
          { key: 'by', label: 'Started by', children: `${rollout.createdBy.id} (${rollout.createdBy.via}) ${ago(rollout.createdAt)}` },
          ...(rollout.releaseId ? [{ key: 'release', label: 'Release', children: <a href={href({ page: 'release', id: rollout.releaseId })}>{rollout.releaseId}</a> }] : []),
        ]} />
        <div style={{ marginTop: 16 }}><Actions rollout={rollout} onDone={refresh} /></div>
      </Card>

      <Card title="Steps"><StepTimeline rollout={rollout} /></Card>

      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title="Traffic on the new version">
            <Statistic title="Canary weight" value={shownWeight} suffix="%" data-testid="canary-weight" />
            <LineChart label="Traffic weight over time" points={weights} stepped yMin={0} yMax={100} unit="%" testId="weight-chart" />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title="Health score">
            <Space wrap size={24}>
              <Statistic title="Last score" value={last?.score ?? '—'} data-testid="health-score" />
              <Statistic title="Verdict" value={last?.verdict ?? '—'} />
            </Space>
            {last && <Typography.Paragraph type="secondary" style={{ overflowWrap: 'anywhere' }}>{last.reason}</Typography.Paragraph>}
            <LineChart label="Health score over time" points={scores} yMin={0} yMax={100} color="#52c41a" testId="score-chart"
              thresholds={[{ value: 80, label: 'continue ≥ 80' }, { value: 60, label: 'roll back < 60' }]} />
          </Card>
        </Col>
      </Row>

      {metrics.length > 0 && (
        <Card title="Metrics (canary)">
          <Row gutter={[16, 16]}>
            {metrics.map((series) => (
              <Col xs={24} md={12} xl={8} key={series.metric}>
                <Typography.Text strong>{series.metric}</Typography.Text>{' '}
                {series.breached && <Tag color="error">breached</Tag>}
                <LineChart label={`${series.metric} over time`} points={series.points} thresholds={series.thresholds} unit={series.unit}
                  color={series.breached ? '#ff4d4f' : '#1677ff'} height={150} testId={`metric-${series.metric}`} />
              </Col>
            ))}
          </Row>
        </Card>
      )}

      <Card title="Audit trail"><AuditTrail events={events} /></Card>
    </Space>
  );
}
