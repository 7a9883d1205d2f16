/**
 * What a client of the Pusher module needs at run time without zod
 * (`@switchboard/server/names/pusher`): the Pusher error/close codes it sends and how Pusher
 * channel names map onto Switchboard channels.
 */

/** Codes the Pusher HTTP API answers with, beyond the transport's. */
export const pusherErrors = {
  pusher_unknown_app: { status: 404, description: "No Pusher app has this id." },
  pusher_app_disabled: {
    status: 403,
    description: "The Pusher app is disabled: its HTTP API and connections are refused.",
  },
  pusher_app_from_env: {
    status: 409,
    description:
      "The app's credentials come from SWITCHBOARD_PUSHER_APPS: rotate or remove it there (its options may be changed here).",
  },
  pusher_bad_signature: {
    status: 401,
    description:
      "The request's Pusher signature (auth_key, auth_timestamp within 600 s, auth_version, body_md5, auth_signature) does not verify.",
  },
} as const;
export type PusherErrorCodes = typeof pusherErrors;

/**
 * Pusher's WebSocket error and close codes (Pusher Channels protocol 7). 4000–4099: do not
 * reconnect unchanged; 4100–4199: reconnect after a back-off; 4200–4299: reconnect at once;
 * 4300–4399: the event was refused, the connection stays.
 */
export const PusherCode = {
  /** The app key names no app. */
  AppNotFound: 4001,
  /** The app is disabled (its connections are closed; new ones refused). */
  AppDisabled: 4003,
  /** The app is at its connection quota. */
  OverQuota: 4004,
  /** The path is not /app/{key}. */
  PathNotFound: 4005,
  /** The `protocol` query parameter is not a supported version. */
  UnsupportedProtocol: 4007,
  /** No `protocol` query parameter. */
  NoProtocol: 4008,
  /** Subscription or sign-in refused: a bad or missing auth signature. */
  Unauthorized: 4009,
  /** The server is at its connection limit. */
  OverCapacity: 4100,
  /** Generic "reconnect now" (the server is restarting). */
  Reconnect: 4200,
  /** The client did not answer a ping in time. */
  PongNotReceived: 4201,
  /** The connection was idle too long. */
  ClosedAfterInactivity: 4202,
  /** A client event was refused because the socket sends them too fast. */
  ClientEventRateLimit: 4301,
  /** A frame the server cannot read (not JSON, no event, wrong shapes). */
  InvalidMessage: 4302,
  /** A frame or event over the size limit. */
  MessageTooLarge: 4303,
  /** A client event that is not allowed (disabled, public channel, not subscribed, no `client-`). */
  ClientEventRejected: 4304,
} as const;

/** The Switchboard namespace that carries every Pusher channel. */
export const PUSHER_NAMESPACE = "pusher";

/**
 * Pusher channel `name` of app `appId` is Switchboard channel `pusher:{appId}:{name}`: a native
 * client subscribed there and a Pusher client on `name` see the same publications.
 */
export const pusherChannel = (appId: string, name: string) =>
  `${PUSHER_NAMESPACE}:${appId}:${name}`;
