/**
 * wandian's domain vocabulary. Money is always integer minor units (cents/fen) with an ISO-4217
 * currency; times are ISO-8601 UTC strings; quantities are units of stock.
 * Source of the shapes: shared/brief/PRODUCT.md (API contract v1).
 */

export type Currency = string; // ISO-4217, e.g. 'CNY'

export interface Store {
  storeId: string;
  name: string;
  /** The chain's sales region, e.g. 'east' (mapped to an AWS region in cdk.json). */
  region: string;
  /** IANA time zone, e.g. 'Asia/Shanghai'. */
  timezone: string;
  updatedAt: string;
}

export interface CatalogItem {
  sku: string;
  name: string;
  /** Minor units per unit of stock. */
  unitPrice: number;
  currency: Currency;
  category: string;
  updatedAt: string;
}

export interface InventoryLevel {
  storeId: string;
  sku: string;
  available: number;
  reserved: number;
  sold: number;
  /** Every quantity ever put in: available + reserved + sold = stocked (invariant 1). */
  stocked: number;
  lowStockThreshold: number;
  /** Set while stock is below its threshold, so InventoryLow fires once per crossing. */
  lowStockSince?: string;
  /** Hot stock: active shard items N (absent = 1), kept on shard 0 (src/domain/inventory.ts). */
  shards?: number;
  /** Hot stock: largest N ever set (absent = 1); shard items 0..shardHighWater-1 may exist. */
  shardHighWater?: number;
  /** Sold-out marker (ISO-8601 UTC): until then create-order answers 409 without a transaction. */
  soldOutUntil?: string;
  version: number;
  updatedAt: string;
}

export type CouponType = 'AMOUNT_OFF' | 'PERCENT_OFF' | 'FREE_ITEM';

export interface Coupon {
  code: string;
  type: CouponType;
  /** AMOUNT_OFF: minor units taken off. */
  amountOff?: number;
  /** AMOUNT_OFF: currency of amountOff / minSubtotal (defaults to the order's). */
  currency?: Currency;
  /** PERCENT_OFF: 1..100. */
  percentOff?: number;
  /** PERCENT_OFF: cap in minor units. */
  maxDiscount?: number;
  /** FREE_ITEM: gift sku and quantity. */
  sku?: string;
  quantity?: number;
  /** Minor units the subtotal must reach. */
  minSubtotal?: number;
  /** Default true: may be combined with other stackable coupons. */
  stackable: boolean;
  maxRedemptions?: number;
  perCustomerLimit?: number;
  validFrom?: string;
  validTo?: string;
  /** Applied to every eligible order without a code (a store-wide automatic promotion). */
  automatic?: boolean;
  /** Scope: only orders at these stores (absent: every store). */
  storeIds?: string[];
  /** Scope: only orders at stores of this sales region, e.g. 'east' (absent: every region). */
  region?: string;
  /** At most one coupon of the same exclusive group is applied to an order. */
  exclusiveGroup?: string;
  /** Higher first: order of application (who is credited when a limit bites) and tie-break. Default 0. */
  priority?: number;
  /** Minor units: an order that uses this coupon gets at most this much discount in total. */
  maxOrderDiscount?: number;
  /** Definition version, bumped by every PUT /v1/coupons (compiled rules are cached per version). */
  version?: number;
  /** Chain-wide promotion counter slices K (2..64): redemptions counted over K items (src/domain/inventory.ts). */
  counterShards?: number;
  /** Most counter slices ever (slices 0..counterHighWater-1 may hold redemptions). */
  counterHighWater?: number;
  /** Redemptions so far (counter maintained by conditional writes; slice 0's only when sliced). */
  redemptions: number;
  updatedAt: string;
}

export type PaymentMethod = 'WECHAT_PAY' | 'ALIPAY' | 'CARD' | 'BALANCE';

export type OrderStatus =
  | 'PENDING_PAYMENT'
  | 'PAID'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'PAYMENT_FAILED'
  | 'REFUNDED'
  | 'NEEDS_ATTENTION'
  | 'FULFILLED';

/** Where the order's stock reservation stands; each transition happens once (invariant 2). */
export type StockState = 'RESERVED' | 'COMMITTED' | 'RELEASED' | 'RESTOCKED';
/** Where the order's coupon redemptions stand; released at most once (invariant 3). */
export type CouponsState = 'NONE' | 'REDEEMED' | 'RELEASED';

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  /** quantity * unitPrice, minor units. */
  lineTotal: number;
}

export interface Pricing {
  subtotal: number;
  discount: number;
  total: number;
  currency: Currency;
}

export interface AppliedCoupon {
  code: string;
  type: CouponType;
  /** Minor units this coupon took off. */
  amountOff: number;
  /** Present (true) for an automatic promotion the customer did not enter. */
  automatic?: true;
}

/**
 * Why a valid coupon was left out (src/domain/pricing.ts `priceOrder` explains each):
 * NOT_STACKABLE, WORSE_COMBINATION, EXCLUSIVE_GROUP, DISCOUNT_LIMIT_REACHED, ZERO_DISCOUNT; and for
 * automatic promotions the customer can act on: MIN_SUBTOTAL_NOT_MET, GIFT_SKU_NOT_FOUND, EXHAUSTED.
 */
export type RejectionReason =
  | 'NOT_STACKABLE'
  | 'WORSE_COMBINATION'
  | 'EXCLUSIVE_GROUP'
  | 'DISCOUNT_LIMIT_REACHED'
  | 'ZERO_DISCOUNT'
  | 'MIN_SUBTOTAL_NOT_MET'
  | 'GIFT_SKU_NOT_FOUND'
  | 'EXHAUSTED';

export interface RejectedCoupon {
  code: string;
  reason: RejectionReason;
  /** Present (true) for an automatic promotion. */
  automatic?: true;
}

export interface StockLine {
  sku: string;
  quantity: number;
  /** Hot stock: the shards the units were reserved from (absent = all from shard 0); commit, release and restock return there. */
  takes?: { shard: number; quantity: number }[];
}

export interface CouponRedemption {
  code: string;
  /** Also incremented the per-customer counter (coupon has perCustomerLimit). */
  perCustomer: boolean;
  /** Counter slices of the coupon when sliced (its counterShards), at build time. */
  slices?: number;
  /** The counter slice this redemption took (sliced coupons); its release returns there. */
  slice?: number;
}

export interface HistoryEntry {
  status: OrderStatus;
  at: string;
  reason?: string;
}

export interface PaymentRecord {
  paymentId: string;
  status: 'SUCCEEDED' | 'FAILED';
  amount: number;
  currency: Currency;
  occurredAt: string;
  receivedAt: string;
}

export interface Order {
  orderId: string;
  storeId: string;
  region: string;
  customerId: string;
  status: OrderStatus;
  items: OrderLine[];
  pricing: Pricing;
  appliedCoupons: AppliedCoupon[];
  rejectedCoupons: RejectedCoupon[];
  paymentMethod: PaymentMethod;
  createdAt: string;
  expiresAt: string;
  history: HistoryEntry[];
  /** Units reserved per SKU (order lines plus FREE_ITEM gifts, merged by SKU). */
  reservation: StockLine[];
  /** Coupon counters this order incremented, released together on compensation. */
  couponRedemptions: CouponRedemption[];
  stockState: StockState;
  couponsState: CouponsState;
  paymentIntentId?: string;
  payment?: PaymentRecord;
  /**
   * Who decided this unpaid order's fate, set once by a conditional write while PENDING_PAYMENT
   * (src/domain/order-claim.ts): PAYMENT | PAYMENT_FAILED | EXPIRY | CANCEL. Never returned by the API.
   */
  claim?: 'PAYMENT' | 'PAYMENT_FAILED' | 'EXPIRY' | 'CANCEL';
  /** When `claim` was made (the reconciler restarts a claimed order's segment that did not finish). */
  claimedAt?: string;
  cancelRequestedAt?: string;
  refundId?: string;
  /** BALANCE orders: the wallet debit moves DEBITED → CREDITED at most once (never credited twice). */
  walletDebit?: 'DEBITED' | 'CREDITED';
  /** Set by CommitReservation. */
  paidAt?: string;
  /** Set by the refund saga's BeginRefund; a claimed order can no longer be fulfilled. */
  refundRequestedAt?: string;
  /** Set by POST /v1/orders/{orderId}/fulfil. */
  fulfilledAt?: string;
  updatedAt: string;
}
