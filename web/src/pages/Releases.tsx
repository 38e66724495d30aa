import { Alert, Card, Empty, Space, Steps, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { api, type ApiError, type ReleaseCell, type ReleaseView } from '../api';
import { ApiProblem } from '../components/ApiProblem';
import { ago, cellColor, phaseColor } from '../phase';
import { usePolling } from '../polling';
import { href } from '../router';
import { useSession } from '../session';

/** An API without the releases routes answers 404: say so instead of showing an error. */
function Unavailable({ error, what }: { error: ApiError | undefined; what: string }) {
  if (error?.status === 404) {
    return <Empty description={what === 'releases' ? 'This API does not serve releases (yet).' : 'No release has this id.'} data-testid="releases-unavailable" />;
  }
  return <ApiProblem error={error} what={what} />;
}

export function ReleaseList() {
  const { token } = useSession();
  const { data, error, loading } = usePolling((signal) => api.releases(token, signal), [token]);
  const columns: ColumnsType<ReleaseView> = [
    { title: 'Release', key: 'name', render: (_, r) => <a href={href({ page: 'release', id: r.id })} data-testid="release-link">{r.name}</a> },
    { title: 'Phase', key: 'phase', render: (_, r) => <Tag color={phaseColor(r.phase)}>{r.phase}</Tag> },
    { title: 'Wave', key: 'wave', responsive: ['sm'], render: (_, r) => r.currentWave ?? '—' },
    { title: 'Services × clusters', key: 'size', responsive: ['md'], render: (_, r) => `${r.services.length} × ${r.clusters.length}` },
    { title: 'Message', key: 'message', responsive: ['lg'], render: (_, r) => r.message },
    { title: 'Created', key: 'created', responsive: ['md'], render: (_, r) => ago(r.createdAt) },
  ];
  return (
    <Card title="Releases" extra={<Typography.Text type="secondary">updates every 2 s</Typography.Text>} data-testid="releases-page">
      {error && !data ? <Unavailable error={error} what="releases" /> : (
        <Table rowKey="id" size="middle" columns={columns} dataSource={data?.items ?? []} loading={loading && !data}
          pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: 'max-content' }} />
      )}
    </Card>
  );
}

/** The service × cluster matrix: one cell per rollout, coloured by its phase, linking to the rollout. */
function Matrix({ release }: { release: ReleaseView }) {
  const cell = (service: string, cluster: string): ReleaseCell | undefined => release.matrix.find((c) => c.service === service && c.cluster === cluster);
  const columns: ColumnsType<{ service: string }> = [
    { title: 'Service', key: 'service', fixed: 'left', render: (_, row) => <Typography.Text strong>{row.service}</Typography.Text> },
    ...release.clusters.map((cluster) => ({
      title: cluster,
      key: cluster,
      onCell: (row: { service: string }) => ({ style: { background: cellColor(cell(row.service, cluster)?.phase ?? '') } }),
      render: (_: unknown, row: { service: string }) => {
        const c = cell(row.service, cluster);
        if (!c) return <Typography.Text type="secondary">—</Typography.Text>;
        const label = <Tag color={phaseColor(c.phase)} data-testid="matrix-cell">{c.phase}</Tag>;
        const linked = c.rolloutId ? <a href={href({ page: 'rollout', id: c.rolloutId })}>{label}</a> : label;
        return c.reason ? <Tooltip title={c.reason}>{linked}</Tooltip> : linked;
      },
    })),
  ];
  return <Table rowKey="service" size="small" bordered pagination={false} columns={columns} dataSource={release.services.map((service) => ({ service }))} scroll={{ x: 'max-content' }} data-testid="release-matrix" />;
}

export function ReleasePage({ id }: { id: string }) {
  const { token } = useSession();
  const { data, error } = usePolling(async (signal) => {
    const release = await api.release(token, id, signal);
    const events = await api.releaseEvents(token, id, signal).catch(() => ({ items: [] }));
    return { release, events: events.items };
  }, [token, id]);
  const back = <a href={href({ page: 'releases' })}>← Releases</a>;
  if (!data) return <Card title={back} loading={!error}><Unavailable error={error} what={`release ${id}`} /></Card>;
  const { release, events } = data;
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card title={<Space wrap>{back}<span>{release.name}</span><Tag color={phaseColor(release.phase)}>{release.phase}</Tag></Space>}>
        <ApiProblem error={error} what="the latest state" />
        {release.message && <Alert type={release.phase === 'Failed' ? 'error' : 'info'} showIcon title={release.message} style={{ marginBottom: 16 }} />}
        <Steps size="small" current={release.waves.findIndex((w) => w.phase !== 'Pending' && w.phase !== 'Completed')} items={release.waves.map((w) => ({
          title: w.name,
          status: w.phase === 'Completed' ? 'finish' : w.phase === 'Failed' || w.phase === 'Cancelled' ? 'error' : w.phase === 'Pending' ? 'wait' : 'process',
          content: `${w.phase}${w.approval ? ' · approval' : ''} · ${w.clusters.join(', ')}`,
        }))} />
      </Card>
      <Card title="Services × clusters"><Matrix release={release} /></Card>
      <Card title="Events">
        {events.length === 0 ? <Empty description="No events yet" /> : (
          <Space orientation="vertical" style={{ width: '100%' }}>
            {[...events].reverse().map((e, i) => (
              <div key={`${e.at}-${i}`}><Tag>{e.type}</Tag><Typography.Text type="secondary">{new Date(e.at).toLocaleTimeString()}</Typography.Text> {e.message}</div>
            ))}
          </Space>
        )}
      </Card>
    </Space>
  );
}
