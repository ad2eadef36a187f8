/**
 * Secrets Manager rotation of a payment provider's webhook secret (one secret per provider,
 * lib/constructs/security-construct.ts; every 30 days). Implements the four rotation steps:
 *
 * - createSecret: a fresh random 64-hex-character key is stored as AWSPENDING (once per rotation token).
 * - setSecret / testSecret: nothing to do here. The provider signs with whatever key it was given, so the new
 *   key must be registered with the provider (its merchant console or API) before the next rotation; until then
 *   the webhook keeps accepting the previous key, which Secrets Manager keeps as AWSPREVIOUS.
 * - finishSecret: AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS).
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

/** The event Secrets Manager invokes a rotation function with. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
}

const client = new SecretsManagerClient({});

export const handler = async (event: RotationEvent): Promise<void> => {
  const { SecretId, ClientRequestToken: token, Step } = event;
  const described = await client.send(new DescribeSecretCommand({ SecretId }));
  if (described.RotationEnabled === false) throw new Error(`Secret ${SecretId} is not enabled for rotation`);
  const stages = described.VersionIdsToStages?.[token];
  if (!stages) throw new Error(`Secret version ${token} has no stage for rotation of ${SecretId}`);
  if (stages.includes('AWSCURRENT')) return; // this version is already current: the rotation is done
  if (!stages.includes('AWSPENDING')) throw new Error(`Secret version ${token} is not AWSPENDING for rotation of ${SecretId}`);

  switch (Step) {
    case 'createSecret':
      return createSecret(SecretId, token);
    case 'setSecret':
    case 'testSecret':
      // The provider holds its copy of the key; registering the new one happens with the provider, out of band.
      return;
    case 'finishSecret':
      return finishSecret(SecretId, token, described.VersionIdsToStages ?? {});
    default:
      throw new Error(`Unknown rotation step ${String(Step)}`);
  }
};

async function createSecret(SecretId: string, token: string): Promise<void> {
  await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' })); // the secret must exist
  try {
    await client.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }));
    return; // already created by an earlier attempt of this rotation
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const secret = randomBytes(32).toString('hex');
  await client.send(
    new PutSecretValueCommand({ SecretId, ClientRequestToken: token, SecretString: secret, VersionStages: ['AWSPENDING'] }),
  );
}

async function finishSecret(SecretId: string, token: string, versions: Record<string, string[]>): Promise<void> {
  const current = Object.entries(versions).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: token,
      ...(current ? { RemoveFromVersionId: current } : {}),
    }),
  );
}
