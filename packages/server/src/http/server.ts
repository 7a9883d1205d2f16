import { createReadStream, existsSync } from "node:fs";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TransportErrorCode } from "@switchboard/protocol";
import { MAX_JSON_DEPTH, withinDepth } from "@switchboard/protocol";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { HttpEdgeConfig } from "../config-security.js";
import { dependencyDown, SwitchboardError, TRANSPORT_HTTP_STATUS } from "../errors.js";
import type { Metrics } from "../metrics.js";
import { type EdgeOptions, registerEdge } from "./edge.js";

/**
 * The code of an error that is not a SwitchboardError (Fastify's own: a body too large, a bad
 * content type) by its status. Only transport codes: a module's code means something a status
 * cannot say, so a bare 409 is `conflict`, never a module's `insufficient_stock`.
 */
export function codeForStatus(status: number): TransportErrorCode {
  for (const [code, s] of Object.entries(TRANSPORT_HTTP_STATUS))
    if (s === status) return code as TransportErrorCode;
  return "bad_request";
}

export interface HttpOptions {
  logger: Logger;
  metrics: Metrics;
  version: string;
  /** Largest accepted JSON body. */
  bodyLimit: number;
  /** The web app's index.html: page navigations to unknown paths get it (client-side routes). */
  spaIndexHtml?: string;
  /** HTTP status of every declared error code (transport and modules'); undefined: undeclared. */
  statusOf(code: string): number | undefined;
  edge: HttpEdgeConfig & EdgeOptions;
  /** While true (shutting down), responses close their connection so the server can finish. */
  isDraining?: () => boolean;
}

const API_PATHS = /^\/(api|docs|ws|health|ready|metrics)(\/|$)/;

/** Fastify with zod validation, OpenAPI at /docs, one error shape ({code, message, details}). */
export async function createHttpServer(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps FastifyInstance's default generics.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request info lines would drown the gateway's own logs; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    // On close, idle keep-alive connections go at once; requests in flight finish first (app.ts
    // bounds the wait). `true` would cut them mid-handler.
    forceCloseConnections: "idle",
    return503OnClosing: true,
    trustProxy: options.edge.trustProxy,
    // A request that trickles in is cut (408) once this passes; Node checks open requests every
    // connectionsCheckingInterval, so that is kept a fraction of the timeout.
    requestTimeout: options.edge.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(options.edge.requestTimeoutMs, 20_000),
      connectionsCheckingInterval: Math.max(
        250,
        Math.min(5000, Math.floor(options.edge.requestTimeoutMs / 4)),
      ),
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await registerEdge(app, options.edge, options.edge);
  // Every JSON body, whatever its route: a value nested thousands deep parses, but storing and
  // serializing it later fails (a poisoned channel or row). Refused before any handler sees it.
  // (Callback hooks, not async ones: every request passes them, and a promise each costs more
  // than the check.)
  app.addHook("preValidation", (request, _reply, done) => {
    if (request.body !== null && typeof request.body === "object" && !withinDepth(request.body))
      return done(
        new SwitchboardError(
          "bad_request",
          `request body nested deeper than ${MAX_JSON_DEPTH} levels`,
        ),
      );
    done();
  });
  const isDraining = options.isDraining;
  if (isDraining) {
    app.addHook("onSend", (_request, reply, payload, done) => {
      if (isDraining()) void reply.header("connection", "close");
      done(null, payload);
    });
  }
  await app.register(swagger, {
    openapi: {
      info: {
        title: "Switchboard API",
        description:
          "REST API of Switchboard. Authenticate with `Authorization: Bearer <API key or JWT>`. Real-time traffic uses the WebSocket at /ws (see docs/protocol.md).",
        version: options.version,
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "API key or JWT" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  if (options.edge.docs) {
    await app.register(swaggerUi, {
      routePrefix: "/docs",
      // Its own policy, like the plugin's own but without upgrade-insecure-requests, which
      // would break /docs on a plain-http development server.
      staticCSP:
        "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'",
    });
  }

  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const metrics = options.metrics;
    const error = dependencyDown(thrown) ?? thrown;
    if (hasZodFastifySchemaValidationErrors(error)) {
      metrics.count(metrics.errors, "bad_request");
      return reply.status(400).send({
        code: "bad_request",
        message: `invalid ${error.validationContext ?? "request"}`,
        details: error.validation.map((v) => ({
          path: v.instancePath.replace(/^\//, "").replaceAll("/", "."),
          message: v.message,
        })),
      });
    }
    if (error instanceof SwitchboardError) {
      const status = options.statusOf(error.code);
      if (status === undefined) {
        // A module threw a code it never declared: a bug, answered as one.
        request.log.error({ err: error, url: request.url }, `undeclared error code ${error.code}`);
        metrics.count(metrics.errors, "internal");
        return reply.status(500).send({ code: "internal", message: "internal error" });
      }
      metrics.count(metrics.errors, error.code);
      if ((error.code === "rate_limited" || error.code === "unavailable") && error.retryAfterMs) {
        void reply.header("retry-after", Math.ceil(error.retryAfterMs / 1000));
      }
      return reply.status(status).send(error.toBody());
    }
    const status = typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, url: request.url }, "request failed");
      metrics.count(metrics.errors, "internal");
      return reply.status(500).send({ code: "internal", message: "internal error" });
    }
    const code = codeForStatus(status);
    metrics.count(metrics.errors, code);
    return reply.status(status).send({ code, message: error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const wantsPage =
      request.method === "GET" && (request.headers.accept ?? "").includes("text/html");
    if (
      options.spaIndexHtml &&
      wantsPage &&
      !API_PATHS.test(path) &&
      existsSync(options.spaIndexHtml)
    ) {
      return reply
        .status(200)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .send(createReadStream(options.spaIndexHtml));
    }
    return reply.status(404).send({
      code: "not_found",
      message: `no route ${request.method} ${request.url.split("?")[0]}`,
    });
  });
  return app;
}
