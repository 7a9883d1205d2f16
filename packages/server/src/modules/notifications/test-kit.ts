import { createECDH, type ECDH, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import ece from "http_ece";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** Test-only endpoints on loopback: a push service / SMS provider and an SMTP server. */
export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A loopback HTTP receiver (push service, SMS provider) answering what `answer` says. */
export async function receiver(answer: (r: Received) => number = () => 201) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      got.push(r);
      res.statusCode = answer(r);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A real SMTP server (smtp-server) that parses every mail it is given (mailparser). */
export async function smtpSink() {
  const mails: ParsedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((m) => {
          mails.push(m);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    mails,
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}

/** A browser's side of a push subscription: the keys PushManager makes, and decryption. */
export function browserKeys(): {
  ecdh: ECDH;
  auth: Buffer;
  keys: { p256dh: string; auth: string };
  decrypt(body: Buffer): unknown;
} {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    keys: { p256dh: ecdh.getPublicKey("base64url"), auth: auth.toString("base64url") },
    decrypt: (body) =>
      JSON.parse(
        ece.decrypt(body, { version: "aes128gcm", privateKey: ecdh, authSecret: auth }).toString(),
      ),
  };
}
