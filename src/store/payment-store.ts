/**
 * The payments table: one record per provider paymentId, written once (PRODUCT.md invariant 4: a
 * callback changes things at most once; a late or double payment is refunded once per paymentId).
 * Top-up settlements write their record inside their own transaction (src/store/topup-store.ts).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';
import type { Currency } from '../domain/types.ts';

/** A provider callback as recorded, with what was done about it. */
export interface PaymentItem {
  paymentId: string;
  provider: string;
  status: 'SUCCEEDED' | 'FAILED';
  amount: number;
  currency: Currency;
  occurredAt: string;
  receivedAt: string;
  orderId?: string;
  topupId?: string;
  /** APPLIED: recorded on its order; REFUNDED: given back (late, double or wallet-only order). */
  disposition: 'APPLIED' | 'REFUNDED';
}

export class PaymentStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** Records `item` once; false when its paymentId is recorded already (nothing written). */
  async recordOnce(item: PaymentItem): Promise<boolean> {
    try {
      // Condition: one record per paymentId, so each payment is refunded at most once.
      await this.doc.send(
        new PutCommand({ TableName: tableName('payments'), Item: item, ConditionExpression: 'attribute_not_exists(paymentId)' }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }
}
