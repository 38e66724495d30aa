import { useMemo, useState } from 'react';
import { Card, Input, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { api, type RolloutView } from '../api';
import { ApiProblem } from '../components/ApiProblem';
import { ROLLOUT_PHASES, ago, phaseColor } from '../phase';
import { usePolling } from '../polling';
import { href } from '../router';
import { useSession } from '../session';

/** Matches the search text against name, namespace, cluster, target and id (case-insensitive). */
export function matches(rollout: RolloutView, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [rollout.name, rollout.namespace, rollout.cluster, rollout.targetDeployment, rollout.id, rollout.canaryImage]
    .some((field) => field.toLowerCase().includes(needle));
}

export function RolloutList() {
  const { token } = useSession();
  const [phases, setPhases] = useState<string[]>([]);
  const [search, setSearch] = useState('');
  const { data, error, loading } = usePolling((signal) => api.rollouts(token, signal), [token]);

  const rows = useMemo(
    () => (data?.items ?? []).filter((r) => (phases.length === 0 || phases.includes(r.phase)) && matches(r, search)),
    [data, phases, search],
  );

  const columns: ColumnsType<RolloutView> = [
    {
      title: 'Rollout', key: 'name',
      render: (_, r) => (
        <Space orientation="vertical" size={0}>
          <a href={href({ page: 'rollout', id: r.id })} data-testid="rollout-link">{r.name}</a>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{r.cluster}/{r.namespace} · {r.canaryImage}</Typography.Text>
        </Space>
      ),
    },
    {
      title: 'Phase', key: 'phase',
      render: (_, r) => <Tag color={phaseColor(r.phase)} data-testid="rollout-phase">{r.phase === 'Paused' && r.pause ? `Paused · ${r.pause.reason}` : r.phase}</Tag>,
    },
    { title: 'Step', key: 'step', responsive: ['md'], render: (_, r) => `${Math.max(0, r.step.number)}/${r.step.total}` },
    { title: 'Weight', key: 'weight', width: 140, responsive: ['sm'], render: (_, r) => <Progress percent={r.canaryWeight} size="small" /> },
    { title: 'Message', key: 'message', responsive: ['lg'], render: (_, r) => <Typography.Text ellipsis={{ tooltip: r.message }} style={{ maxWidth: 360 }}>{r.message}</Typography.Text> },
    { title: 'Started', key: 'created', responsive: ['md'], render: (_, r) => ago(r.createdAt) },
  ];

  return (
    <Card title="Rollouts" extra={<Typography.Text type="secondary">updates every 2 s</Typography.Text>}>
      <ApiProblem error={error} what="rollouts" />
      <Space wrap style={{ marginBottom: 16, width: '100%' }}>
        <Input.Search allowClear placeholder="Search name, namespace, cluster" onChange={(e) => setSearch(e.target.value)}
          style={{ width: 280, maxWidth: '100%' }} data-testid="rollout-search" />
        <Select mode="multiple" allowClear placeholder="Status" value={phases} onChange={setPhases}
          options={ROLLOUT_PHASES.map((p) => ({ value: p, label: p }))} style={{ minWidth: 200, maxWidth: '100%' }} data-testid="phase-filter" />
      </Space>
      <Table rowKey="id" size="middle" columns={columns} dataSource={rows} loading={loading && !data}
        pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: 'max-content' }} data-testid="rollout-table" />
    </Card>
  );
}
