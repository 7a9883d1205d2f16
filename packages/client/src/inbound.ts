import type { DisconnectFrame, ErrorFrame, ReplyFrame, ServerFrame } from "@switchboard/protocol";
import { expectedReplyType } from "./commands.js";
import type { ChannelFrame } from "./connection_types.js";
import { SwitchboardError } from "./errors.js";
import type { CommandPipeline } from "./pipeline.js";

/**
 * Parses one text frame from the server. The server is trusted to speak the protocol (it is
 * validated there, and the schemas would pull zod into browser bundles), so this only checks
 * the envelope; frames of unknown type are ignored so an older client survives a newer server.
 */
export function parseServerFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if (typeof (value as { type?: unknown }).type !== "string") return undefined;
  return value as ServerFrame;
}

export interface InboundHandlers {
  pipeline: CommandPipeline;
  pong(): void;
  refresh(): void;
  disconnect(frame: DisconnectFrame): void;
  channel(frame: ChannelFrame): void;
  error(error: SwitchboardError): void;
}

type Reply = ReplyFrame | (ErrorFrame & { id: number });

function isReply(frame: ServerFrame): frame is Reply {
  return typeof (frame as { id?: unknown }).id === "number";
}

function settle(frame: Reply, handlers: InboundHandlers): void {
  const command = handlers.pipeline.pending.take(frame.id);
  if (!command) return; // timed out already, or from before a reconnect
  if (frame.type === "error") {
    const error = SwitchboardError.fromFrame(frame);
    // Rejected before it was applied, so sending it again later is always safe.
    if (error.code === "rate_limited" && command.body.type !== "connect") {
      handlers.pipeline.retryLater(command, error.retryAfterMs ?? 1000);
    } else command.reject(error);
  } else if (frame.type !== expectedReplyType(command.body.type)) {
    command.reject(
      new SwitchboardError("internal", `unexpected ${frame.type} reply to ${command.body.type}`),
    );
  } else command.resolve(frame);
}

export function dispatchFrame(frame: ServerFrame, handlers: InboundHandlers): void {
  if (isReply(frame)) {
    settle(frame, handlers);
    return;
  }
  switch (frame.type) {
    case "ping":
      handlers.pong();
      return;
    case "refresh":
      handlers.refresh();
      return;
    case "disconnect":
      handlers.disconnect(frame);
      return;
    case "message":
    case "join":
    case "leave":
    case "unsubscribed":
      handlers.channel(frame);
      return;
    case "error":
      handlers.error(SwitchboardError.fromFrame(frame));
      return;
    default:
      // Unknown or unexpected frame types are ignored (a newer server may add some).
      return;
  }
}
