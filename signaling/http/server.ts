/**
 * The HTTP server: the API first, then the built web client (a single-page app), then 404, every
 * error in the catalogue's shape. It also keeps the upgraded (websocket) connections, so shutdown
 * can end one whose peer stopped reading.
 */
import { existsSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import sirv from 'sirv';
import { errors } from '../error-catalogue.ts';
import type { ClientAddressOf } from '../client-address.ts';
import type { Config } from '../config.ts';
import { toWire } from '../errors.ts';
import { serveMetrics } from '../metrics.ts';
import type { Services } from '../services/index.ts';
import type { Store } from '../storage/db.ts';
import { apiHandler } from './api.ts';
import { sendError } from './json.ts';
import { guardRequest, type RequestTarget } from './request-guard.ts';

/** How long shutdown waits for open connections before it ends them. */
const FORCE_CLOSE_MS = 1_000;

export interface HttpFront {
  http: HttpServer;
  /** Starts answering requests (until then the server is not listening, so none arrive). */
  serve(deps: {
    services: Services;
    logger: Logger;
    store: Store;
    clientAddress: ClientAddressOf;
  }): void;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Ends idle connections now and the rest once `closing` has taken FORCE_CLOSE_MS. */
  drain(closing: Promise<void>): Promise<void>;
}

/** Routes one request: the API, then static files, then 404. */
function requestHandler(
  config: Config,
  deps: Parameters<HttpFront['serve']>[0],
): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = deps;
  const api = apiHandler({ ...deps, config });
  const staticDir = config.staticDir ? resolve(config.staticDir) : null;
  const files =
    staticDir && existsSync(staticDir)
      ? sirv(staticDir, { single: true, etag: true, gzip: true, brotli: true, immutable: true })
      : null;
  const notFound = files ? errors.fileNotFound() : errors.webClientNotBuilt();

  return (req, res) => {
    if (req.url?.startsWith('/socket.io/')) return; // Socket.IO answers these itself.
    let target: RequestTarget;
    try {
      target = guardRequest(req);
    } catch (err) {
      sendError(res, toWire(err, logger, { url: req.url?.slice(0, 200) }));
      return;
    }
    if (serveMetrics(req, res, config.metricsToken)) return;
    api(req, res, target)
      .then((handled) => {
        if (handled) return;
        if (files) files(req, res, () => sendError(res, notFound.toWire()));
        else sendError(res, notFound.toWire());
      })
      .catch((err: unknown) => {
        if (!res.headersSent) sendError(res, toWire(err, logger, { url: target.pathname }));
        else {
          logger.error({ err }, 'http handler failed');
          // Too late for a status: end the connection rather than leave the client waiting.
          res.destroy();
        }
      });
  };
}

export function httpServer(config: Config): HttpFront {
  const http = createServer();

  // Upgraded (websocket) connections leave the HTTP server's own bookkeeping, so closeAllConnections()
  // cannot reach them; keep them here so shutdown can end one whose peer stopped reading.
  const upgraded = new Set<Duplex>();
  http.on('upgrade', (_req, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });

  return {
    http,
    serve(deps) {
      http.on('request', requestHandler(config, deps));
    },
    listen(port, host) {
      return new Promise((resolvePromise, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolvePromise(http.address() as AddressInfo);
        });
      });
    },
    async drain(closing) {
      // Idle keep-alive connections are closed now rather than when they time out.
      http.closeIdleConnections();
      // A peer that stopped reading never completes the websocket close handshake; don't wait for it.
      const force = setTimeout(() => {
        http.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, FORCE_CLOSE_MS);
      await closing;
      clearTimeout(force);
    },
  };
}
