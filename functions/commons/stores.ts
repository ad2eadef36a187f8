/** Store adapters bound to the shared document client (one instance per container). */
import { doc } from './clients.ts';
import { MasterDataStore } from '../../src/store/master-data-store.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import { CouponStore } from '../../src/store/coupon-store.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import { WalletStore } from '../../src/store/wallet-store.ts';
import { ConnectionStore } from '../../src/store/connection-store.ts';
import { StaffStore } from '../../src/store/staff-store.ts';
import { TopupStore } from '../../src/store/topup-store.ts';
import { PaymentStore } from '../../src/store/payment-store.ts';
import { MasterDataCache } from '../../src/store/master-data-cache.ts';
import { masterDataCacheSeconds } from '../../src/config.ts';

export const masterData = new MasterDataStore(doc);
export const inventory = new InventoryStore(doc);
export const coupons = new CouponStore(doc);
export const orders = new OrderStore(doc);
export const connections = new ConnectionStore(doc);
export const wallets = new WalletStore(doc);
export const staff = new StaffStore(doc);
export const topups = new TopupStore(doc);
export const payments = new PaymentStore(doc);
/** The order path's cached master data (stores, catalog, automatic promotions; TTL: masterDataCacheSeconds). */
export const cachedMasterData = new MasterDataCache(
  {
    getStore: (id) => masterData.getStore(id),
    getCatalogItems: (skus) => masterData.getCatalogItems(skus),
    automatic: () => coupons.automatic(),
  },
  masterDataCacheSeconds,
);
