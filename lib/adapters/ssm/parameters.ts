import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/** Reads a SecureString parameter once per container; secrets never leave memory or reach a log. */
export function ssmParameterReader(client: SSMClient = new SSMClient({})): (name: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (name) => {
    let value = cache.get(name);
    if (!value) {
      value = client.send(new GetParameterCommand({ Name: name, WithDecryption: true })).then((out) => {
        if (out.Parameter?.Value === undefined) throw new Error(`SSM parameter ${name} has no value`);
        return out.Parameter.Value;
      });
      value.catch(() => cache.delete(name));
      cache.set(name, value);
    }
    return value;
  };
}
