/**
 * Plumbing for WebSocket route handlers (`$connect`, `$disconnect`): middy + Powertools Logger
 * (correlation by request id) and Tracer and the one error mapping of http.ts. A `$connect` answering non-2xx
 * refuses the connection (a DomainError's status, e.g. 404 ORDER_NOT_FOUND, with its problem+json).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { toResponse, type HttpResponse } from './http.ts';
import { logger, tracer } from './powertools.ts';

/** A WebSocket route event (`requestContext.routeKey`, `connectionId`; `$connect` adds headers and query). */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & { headers?: Record<string, string | undefined> };

/** Wraps `fn(event) → HttpResponse`; thrown errors become problem+json responses (unexpected ones 500, logged). */
export function webSocketHandler(fn: (event: WebSocketEvent) => Promise<HttpResponse>) {
  return middy<WebSocketEvent, HttpResponse>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId', resetKeys: true }))
    .handler(async (event) => {
      logger.appendKeys({ connectionId: event.requestContext.connectionId, routeKey: event.requestContext.routeKey });
      try {
        return await fn(event);
      } catch (error) {
        return toResponse(error);
      }
    });
}
