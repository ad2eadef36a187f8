/**
 * Placing an order against the stores (the order-path orchestration of create-order, kept out of the handler
 * so it is unit-tested with a fake store: test/unit/place-order.test.ts).
 */
import { isDomainError } from '../domain/errors.ts';
import type { Order } from '../domain/types.ts';

/** What placing needs of the order store: OrderStore.place (stock, coupons and order in ONE transaction). */
export interface OrderPlacer {
  /**
   * Writes `order` and returns it as written (with the stock shards each line took from), or nothing when it
   * is written as given; throws DomainError COUPON_EXHAUSTED `{couponCodes}` when coupon limits refuse it.
   */
  place(order: Order, perCustomerLimits: ReadonlyMap<string, number>, attempt: number): Promise<Order> | Promise<void>;
}

/**
 * Writes the order `build` makes and returns it. When the database refuses automatic promotions the customer
 * did not enter as exhausted (used up since they were read, or the customer's perCustomerLimit reached), builds
 * the order again without them (same order id, next `attempt`); an entered code that is exhausted fails the
 * order (422 COUPON_EXHAUSTED), and so does any other error. Ends: every retry excludes at least one more code,
 * and a code refused twice fails the order.
 */
export async function placeWithPromotionFallback(
  store: OrderPlacer,
  build: (exhausted: ReadonlySet<string>) => Order,
  perCustomerLimits: ReadonlyMap<string, number>,
  entered: readonly string[],
): Promise<Order> {
  const exhausted = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    const order = build(exhausted);
    try {
      return (await store.place(order, perCustomerLimits, attempt)) || order;
    } catch (e) {
      const refused = isDomainError(e) && e.code === 'COUPON_EXHAUSTED' ? ((e.extra.couponCodes as string[] | undefined) ?? []) : [];
      if (refused.length === 0 || refused.some((code) => entered.includes(code) || exhausted.has(code))) throw e;
      for (const code of refused) exhausted.add(code);
    }
  }
}
