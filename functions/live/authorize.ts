/** Placeholder until the WebSocket REQUEST authorizer lands: denies every connect. */
export const handler = async (): Promise<{ isAuthorized: boolean }> => ({ isAuthorized: false });
