import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { fileTypeFromBuffer } from "file-type";
import type { Kysely } from "kysely";
import sharp from "sharp";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { ulid } from "../../ids.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import { callerOf } from "../../platform/kit/caller.js";
import type { Database } from "../../store/schema.js";
import { productImageSchema } from "./contract.js";
import { skuParams } from "./schema.js";

/** An upload is refused above this (before decoding). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** A decoded image above this many pixels is refused (a small file can decode to gigabytes). */
const MAX_PIXELS = 40_000_000;
const MAX_IMAGES_PER_PRODUCT = 8;
/** What an image may be, by its bytes (never its name or the request's content type). */
const ACCEPTED = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"]);
const SIZES = { large: 1200, thumb: 400 } as const;

const tags = ["catalog"];
const security = [{ bearer: [] }];

export const imageUrl = (id: string, size: keyof typeof SIZES) =>
  `/api/catalog/images/${id}?size=${size}`;

/** The images of some products, oldest first (ids and URLs only). */
export async function imagesOf(
  db: Kysely<Database>,
  skus: string[],
): Promise<
  Map<string, { id: string; url: string; thumbUrl: string; width: number; height: number }[]>
> {
  const out = new Map<
    string,
    { id: string; url: string; thumbUrl: string; width: number; height: number }[]
  >();
  if (skus.length === 0) return out;
  const rows = await db
    .selectFrom("pricing_product_images")
    .select(["id", "sku", "width", "height"])
    .where("sku", "in", skus)
    .orderBy("id")
    .execute();
  for (const r of rows) {
    const list = out.get(r.sku) ?? [];
    list.push({
      id: r.id,
      url: imageUrl(r.id, "large"),
      thumbUrl: imageUrl(r.id, "thumb"),
      width: r.width,
      height: r.height,
    });
    out.set(r.sku, list);
  }
  return out;
}

/** Checks the bytes are an image we accept, decodes it (bounded) and makes the two sizes. */
export async function processImage(bytes: Buffer) {
  if (bytes.length === 0) throw new SwitchboardError("bad_request", "the image is empty");
  if (bytes.length > MAX_IMAGE_BYTES)
    throw new SwitchboardError("too_large", `images are limited to ${MAX_IMAGE_BYTES} bytes`);
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !ACCEPTED.has(type.mime))
    throw new SwitchboardError("bad_request", "the file is not a PNG, JPEG, WebP or GIF image", {
      details: { detected: type?.mime ?? "unknown" },
    });
  try {
    const input = () => sharp(bytes, { limitInputPixels: MAX_PIXELS, animated: false }).rotate();
    const resize = (edge: number) =>
      input().resize(edge, edge, { fit: "inside", withoutEnlargement: true }).webp({ quality: 80 });
    const large = await resize(SIZES.large).toBuffer({ resolveWithObject: true });
    const thumb = await resize(SIZES.thumb).toBuffer();
    return { large: large.data, thumb, width: large.info.width, height: large.info.height };
  } catch {
    throw new SwitchboardError("bad_request", "the image could not be read (damaged or too large)");
  }
}

/** Product images over REST: staff upload and remove, anyone fetches the resized files. */
export function registerImageRoutes(
  app: FastifyInstance,
  db: Kysely<Database>,
  auth: AuthHooks,
): void {
  void app.register(async (scope) => {
    // the body is the image itself: raw bytes, whatever content type the client says
    scope.addContentTypeParser(
      ["image/png", "image/jpeg", "image/webp", "image/gif", "application/octet-stream"],
      { parseAs: "buffer", bodyLimit: MAX_IMAGE_BYTES + 1 },
      (_request, body, done) => done(null, body),
    );
    const r = scope.withTypeProvider<ZodTypeProvider>();
    r.post(
      "/api/catalog/products/:sku/images",
      {
        onRequest: auth.staff,
        schema: {
          summary: "Upload a product image (the raw bytes as the body)",
          description:
            "Staff or API key. The body is a PNG, JPEG, WebP or GIF (checked by its bytes, never its name or content type), at most 5 MiB and 40 megapixels; it is stored resized (1200 and 400 px, WebP). At most 8 per product.",
          tags,
          security,
          params: skuParams,
          response: {
            201: productImageSchema,
            404: errorBodySchema,
            413: errorBodySchema,
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        if (!isStaffOrServer(callerOf(request)))
          throw new SwitchboardError("forbidden", "only staff or the API key edit the catalog");
        const { sku } = request.params;
        if (!Buffer.isBuffer(request.body))
          throw new SwitchboardError(
            "bad_request",
            "send the image bytes with an image content type",
          );
        const product = await db
          .selectFrom("pricing_catalog_products")
          .select("sku")
          .where("sku", "=", sku)
          .executeTakeFirst();
        if (!product) throw new SwitchboardError("not_found", `no product ${sku}`);
        const image = await processImage(request.body);
        const count = await db
          .selectFrom("pricing_product_images")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("sku", "=", sku)
          .executeTakeFirstOrThrow();
        if (Number(count.n) >= MAX_IMAGES_PER_PRODUCT)
          throw new SwitchboardError(
            "bad_request",
            `at most ${MAX_IMAGES_PER_PRODUCT} images per product`,
          );
        const id = ulid();
        await db
          .insertInto("pricing_product_images")
          .values({
            id,
            sku,
            width: image.width,
            height: image.height,
            large: image.large.toString("base64"),
            thumb: image.thumb.toString("base64"),
            created_at: now(),
          })
          .execute();
        return reply.status(201).send({
          id,
          url: imageUrl(id, "large"),
          thumbUrl: imageUrl(id, "thumb"),
          width: image.width,
          height: image.height,
        });
      },
    );
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/catalog/images/:id",
    {
      schema: {
        summary: "A product image, resized (WebP)",
        description: "Anyone. `size` is `large` (fits 1200 px, default) or `thumb` (fits 400 px).",
        tags,
        params: z.object({ id: z.string().regex(/^[0-9A-Z]{26}$/, "must be an image id") }),
        querystring: z.object({ size: z.enum(["large", "thumb"]).default("large") }),
        // 200 is the image's bytes (image/webp); 404 `not_found` when there is no such image
      },
    },
    async (request, reply) => {
      const row = await db
        .selectFrom("pricing_product_images")
        .select([request.query.size])
        .where("id", "=", request.params.id)
        .executeTakeFirst();
      if (!row) throw new SwitchboardError("not_found", `no image ${request.params.id}`);
      const text = (row as Record<string, string>)[request.query.size] as string;
      return reply
        .header("content-type", "image/webp")
        .header("cache-control", "public, max-age=31536000, immutable")
        .header("x-content-type-options", "nosniff")
        .send(Buffer.from(text, "base64"));
    },
  );

  r.delete(
    "/api/catalog/products/:sku/images/:id",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Remove a product image",
        tags,
        security,
        params: skuParams.extend({ id: z.string().min(1).max(64) }),
        response: { 204: z.null(), 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!isStaffOrServer(callerOf(request)))
        throw new SwitchboardError("forbidden", "only staff or the API key edit the catalog");
      const r = await db
        .deleteFrom("pricing_product_images")
        .where("id", "=", request.params.id)
        .where("sku", "=", request.params.sku)
        .executeTakeFirst();
      if (Number(r.numDeletedRows) !== 1)
        throw new SwitchboardError("not_found", `no image ${request.params.id}`);
      return reply.status(204).send(null);
    },
  );
}
