/**
 * Live-status subscriptions (connections table, lib/wiring.ts). Two rows per WebSocket connection:
 * the subscription `{subject: 'order#<id>' | 'customer#<id>' | 'store#<id>', connectionId, sent}` found by the
 * push (src/domain/live-status.ts names the subjects; any subject string works the same way),
 * and `{subject: 'connection#<connectionId>', connectionId, subscribedTo}` found by `$disconnect`.
 * `sent` maps orderId → the last status version pushed to that connection (src/domain/live-status.ts).
 * Rows expire (TTL `expiresAt`) after API Gateway's 2 h connection limit, so lost `$disconnect`s clean up.
 */
import { GetCommand, paginateQuery, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/** API Gateway closes a WebSocket connection after 2 hours; rows live a little longer. */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 300;

const connectionRow = (connectionId: string) => `connection#${connectionId}`;

export class ConnectionStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** Subscribes `connectionId` to `subject` (both rows in one transaction). `now` sets the expiry. */
  async subscribe(subject: string, connectionId: string, now: Date): Promise<void> {
    const TableName = tableName('connections');
    const expiresAt = Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS;
    const connectedAt = now.toISOString();
    await transactWrite(this.doc, {
      TransactItems: [
        // No condition: connection ids are unique and $connect runs once per connection; a repeat writes the same rows.
        { Put: { TableName, Item: { subject, connectionId, connectedAt, expiresAt, sent: {} } } },
        { Put: { TableName, Item: { subject: connectionRow(connectionId), connectionId, subscribedTo: subject, connectedAt, expiresAt } } },
      ],
    });
  }

  /** Removes the connection and its subscription; a no-op for an unknown (already removed) connection. */
  async unsubscribe(connectionId: string): Promise<void> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: tableName('connections'),
        Key: { subject: connectionRow(connectionId), connectionId },
        ConsistentRead: true,
      }),
    );
    const subscribedTo = out.Item?.subscribedTo as string | undefined;
    if (subscribedTo) await this.drop(subscribedTo, connectionId);
  }

  /** Removes a connection subscribed to `subject` (both rows), e.g. one the management API says is gone. */
  async drop(subject: string, connectionId: string): Promise<void> {
    const TableName = tableName('connections');
    await transactWrite(this.doc, {
      TransactItems: [
        // No conditions: deleting rows that are already gone is harmless ($disconnect and a 410 may race).
        { Delete: { TableName, Key: { subject, connectionId } } },
        { Delete: { TableName, Key: { subject: connectionRow(connectionId), connectionId } } },
      ],
    });
  }

  /** Connection ids subscribed to each of `subjects`, as `[subject, connectionId]` pairs. */
  async subscribers(subjects: string[]): Promise<Array<[subject: string, connectionId: string]>> {
    const pairs: Array<[string, string]> = [];
    await Promise.all(
      subjects.map(async (subject) => {
        const pages = paginateQuery(
          { client: this.doc },
          {
            TableName: tableName('connections'),
            KeyConditionExpression: 'subject = :s',
            ExpressionAttributeValues: { ':s': subject },
            ProjectionExpression: 'connectionId',
          },
        );
        for await (const page of pages) for (const item of page.Items ?? []) pairs.push([subject, item.connectionId as string]);
      }),
    );
    return pairs;
  }

  /**
   * Claims the right to send version `version` of `orderId`'s status to this subscription: true once per
   * (subscription, version), and never for a version at or below one already claimed.
   */
  async claim(subject: string, connectionId: string, orderId: string, version: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: tableName('connections'),
          Key: { subject, connectionId },
          // Condition: a subscriber never gets an order's status older than, or the same as, one it was sent.
          ConditionExpression: 'attribute_exists(connectionId) AND (attribute_not_exists(sent.#o) OR sent.#o < :v)',
          UpdateExpression: 'SET sent.#o = :v',
          ExpressionAttributeNames: { '#o': orderId },
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  /** Gives back a claim whose message could not be sent (so a retry may send it); no-op if a newer one was claimed since. */
  async release(subject: string, connectionId: string, orderId: string, version: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: tableName('connections'),
          Key: { subject, connectionId },
          // Condition: only our own claim is given back, never a newer one.
          ConditionExpression: 'sent.#o = :v',
          UpdateExpression: 'REMOVE sent.#o',
          ExpressionAttributeNames: { '#o': orderId },
          ExpressionAttributeValues: { ':v': version },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
}
