import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { ApiError, api, type Principal } from '../api';

/** Why a token was refused, in words a person can act on. */
export function loginProblem(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'This token is not valid. Check that you pasted the whole token.';
    if (error.status === 0) return 'The API cannot be reached. Is it running?';
    return `The API refused the token: ${error.message}`;
  }
  return 'Signing in failed unexpectedly.';
}

export function Login({ onLogin, notice }: { onLogin: (token: string, who: Principal) => void; notice?: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(notice);

  const submit = async ({ token }: { token: string }): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      const who = await api.whoami(token.trim());
      onLogin(token.trim(), who);
    } catch (error) {
      setProblem(loginProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', padding: 16, boxSizing: 'border-box', background: '#f5f5f5' }}>
      <Card title="Codedance" style={{ width: '100%', maxWidth: 420 }}>
        <Typography.Paragraph type="secondary">
          Paste an API token. It is kept in this tab's session storage only and forgotten when the tab closes.
        </Typography.Paragraph>
        <Form layout="vertical" onFinish={(values: { token: string }) => void submit(values)} requiredMark={false}>
          <Form.Item label="API token" name="token" rules={[{ required: true, whitespace: true, message: 'Paste a token' }]}>
            <Input.Password autoFocus placeholder="token" data-testid="token-input" autoComplete="off" />
          </Form.Item>
          {problem && <Alert type="error" showIcon title={problem} style={{ marginBottom: 16 }} data-testid="login-error" />}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">Sign in</Button>
        </Form>
      </Card>
    </div>
  );
}
