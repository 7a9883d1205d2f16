import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { catalogProductSchema, productImageSchema } from "./contract.js";

describe.each(DIALECTS)("product images on %s", (database) => {
  let server: TestServer;
  let customer: string;
  beforeAll(async () => {
    server = await startTestServer({ database });
    customer = await server.token({ sub: "img-carol", role: "customer" });
    await restCall(server, "PUT", "/api/catalog/products/IMG-1", { body: { name: "Camera" } });
  });
  afterAll(async () => {
    await server.close();
  });
  const upload = (sku: string, bytes: Uint8Array, type = "image/png", token?: string | null) =>
    fetch(`${server.url}/api/catalog/products/${sku}/images`, {
      method: "POST",
      headers: {
        "content-type": type,
        ...(token !== null && { authorization: `Bearer ${token ?? server.apiKey}` }),
      },
      body: new Blob([new Uint8Array(bytes)]),
    });

  it("stores an upload checked by its bytes, resized, served to anyone and listed with the product", async () => {
    const png = await sharp({
      create: { width: 3000, height: 1500, channels: 3, background: "#36c" },
    })
      .png()
      .toBuffer();
    // the bytes decide, not the content type the client claims
    const r = await upload("IMG-1", png, "image/jpeg");
    expect(r.status).toBe(201);
    const image = productImageSchema.parse(await r.json());
    expect(image).toMatchObject({ width: 1200, height: 600 });
    const large = await fetch(`${server.url}${image.url}`);
    expect(large.status).toBe(200);
    expect(large.headers.get("content-type")).toBe("image/webp");
    const meta = await sharp(Buffer.from(await large.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: "webp", width: 1200, height: 600 });
    const thumb = await fetch(`${server.url}${image.thumbUrl}`);
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(400);
    const product = catalogProductSchema.parse(
      (await restCall(server, "GET", "/api/catalog/products/IMG-1", { token: null })).body,
    );
    expect(product.images.map((i) => i.id)).toEqual([image.id]);
    const removed = await restCall(
      server,
      "DELETE",
      `/api/catalog/products/IMG-1/images/${image.id}`,
    );
    expect(removed.status).toBe(204);
    expect((await fetch(`${server.url}${image.url}`)).status).toBe(404);
  });

  it("refuses what is not an image, damaged or too big, strangers and customers, with codes", async () => {
    const text = new TextEncoder().encode("<svg onload=alert(1)></svg>");
    const notImage = await upload("IMG-1", text, "image/png");
    expect(notImage.status).toBe(400);
    expect(((await notImage.json()) as { code: string }).code).toBe("bad_request");
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    const damaged = await upload("IMG-1", png.subarray(0, 40));
    expect(damaged.status).toBe(400);
    const huge = await upload("IMG-1", new Uint8Array(5 * 1024 * 1024 + 10));
    expect(huge.status).toBe(413);
    expect((await upload("IMG-1", png, "image/png", customer)).status).toBe(403);
    expect((await upload("IMG-1", png, "image/png", null)).status).toBe(401);
    expect((await upload("NO-PRODUCT", png)).status).toBe(404);
    expect((await fetch(`${server.url}/api/catalog/images/not-an-id`)).status).toBe(400);
    expect(
      (await fetch(`${server.url}/api/catalog/images/01ARZ3NDEKTSV4RRFFQ69G5FAV`)).status,
    ).toBe(404);
  });
});
