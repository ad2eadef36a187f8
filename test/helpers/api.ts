/** The API client moved to local/api-client.ts (shared by tests, demo and bench); re-exported here. */
export { ApiClient, type ApiResponse } from '../../local/api-client.ts';
