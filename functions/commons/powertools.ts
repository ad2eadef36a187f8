/** Powertools singletons shared by every handler (service name from POWERTOOLS_SERVICE_NAME). */
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wandian', correlationIdSearchFn: search });
