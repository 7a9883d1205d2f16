import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/**
 * An identity provider's JWKS endpoint for tests: keys can be published and withdrawn while a
 * server verifies tokens against it, and every fetch is counted.
 */
export class JwksServer {
  fetches = 0;
  private readonly published = new Map<string, JWK>();
  private readonly signers = new Map<string, CryptoKey>();
  private readonly pending = new Map<string, JWK>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<JwksServer> {
    let jwks: JwksServer | undefined;
    const server = createServer((_req, res) => {
      if (!jwks) return void res.writeHead(503).end();
      jwks.fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [...jwks.published.values()] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    jwks = new JwksServer(server, `http://127.0.0.1:${port}/.well-known/jwks.json`);
    return jwks;
  }

  /** Generates an RS256 key under `kid` without publishing it (key generation takes a while). */
  async generate(kid: string): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    this.signers.set(kid, privateKey);
    this.pending.set(kid, { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" });
  }

  /** Publishes the key `kid` in the set (generating it first if needed). */
  async publish(kid: string): Promise<void> {
    if (!this.pending.has(kid)) await this.generate(kid);
    this.published.set(kid, this.pending.get(kid) as JWK);
  }

  /** Takes the key out of the set (its private half still signs, as a leaked key would). */
  withdraw(kid: string): void {
    this.published.delete(kid);
  }

  async token(kid: string, sub: string, role = "customer"): Promise<string> {
    const key = this.signers.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: "RS256", kid })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
