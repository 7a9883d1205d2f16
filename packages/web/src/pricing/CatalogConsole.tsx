import type { CatalogPage, CatalogProduct } from "@switchboard/server/contracts/pricing";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../app/api.js";
import { useSession } from "../app/session.js";
import { ConfirmButton } from "../components/Confirm.js";
import { PriceTag } from "./LivePrice.js";
import { decimalText, parseAmount } from "./money.js";
import "./pricing.css";

const EMPTY = {
  sku: "",
  name: "",
  description: "",
  category: "",
  teamId: "",
  amount: "",
  currency: "EUR",
};

/** Staff's catalog: every product, and a form to add or edit one (with its list price). */
export function CatalogConsole() {
  const token = useSession()?.token ?? null;
  const [products, setProducts] = useState<CatalogProduct[]>([]);
  const [form, setForm] = useState(EMPTY);
  const [editing, setEditing] = useState<CatalogProduct>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const load = useCallback(async () => {
    setProducts((await api<CatalogPage>(null, "GET", "/api/catalog/products?limit=200")).items);
  }, []);
  useEffect(() => {
    void load().catch((e) => setError(errorText(e)));
  }, [load]);

  const edit = (p: CatalogProduct) => {
    setEditing(p);
    setSaved(undefined);
    setForm({
      sku: p.sku,
      name: p.name,
      description: p.description ?? "",
      category: p.category ?? "",
      teamId: p.teamId ?? "",
      amount: p.price ? decimalText(p.price.base, p.price.currency) : "",
      currency: p.price?.currency ?? "EUR",
    });
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const amount = form.amount.trim() ? parseAmount(form.amount, form.currency) : undefined;
    if (form.amount.trim() && amount === undefined)
      return setError("Enter the price as an amount such as 19.99");
    try {
      const p = await api<CatalogProduct>(
        token,
        "PUT",
        `/api/catalog/products/${encodeURIComponent(form.sku.trim())}`,
        {
          name: form.name,
          description: form.description.trim() ? form.description : null,
          category: form.category.trim() ? form.category.trim().toLowerCase() : null,
          teamId: form.teamId.trim() ? form.teamId.trim() : null,
          ...(amount !== undefined && { price: { amount, currency: form.currency } }),
          expectedVersion: editing?.sku === form.sku.trim() ? editing.version : 0,
        },
      );
      setSaved(`Saved ${p.name}`);
      setError(undefined);
      setEditing(undefined);
      setForm(EMPTY);
      await load();
    } catch (err) {
      setError(
        errorText(err, {
          conflict: "Someone changed this product first: reload it and try again.",
        }),
      );
    }
  };
  const remove = async (sku: string) => {
    await api(token, "DELETE", `/api/catalog/products/${encodeURIComponent(sku)}`).catch((e) =>
      setError(errorText(e)),
    );
    await load();
  };
  const addImage = async (sku: string, file: File | undefined) => {
    if (!file) return;
    const res = await fetch(`/api/catalog/products/${encodeURIComponent(sku)}/images`, {
      method: "POST",
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        "content-type": "application/octet-stream",
      },
      body: file,
    });
    if (res.ok) {
      setSaved(`Added an image to ${sku}`);
      setError(undefined);
    } else {
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      setError(body.message ?? "The image could not be added");
    }
    await load();
  };
  const field = (key: keyof typeof EMPTY) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }),
  });

  return (
    <section className="page">
      <h1>Catalog</h1>
      <table className="table" data-testid="catalog-table">
        <thead>
          <tr>
            <th>Product</th>
            <th>Category</th>
            <th>Price</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {products.map((p) => (
            <tr key={p.sku}>
              <td>
                <strong>{p.name}</strong> <span className="muted small">{p.sku}</span>
              </td>
              <td>{p.category ?? "—"}</td>
              <td>{p.price ? <PriceTag price={p.price} /> : "no price"}</td>
              <td className="row">
                {p.images[0] && <img className="catalog-thumb" src={p.images[0].thumbUrl} alt="" />}
                <label className="secondary file-button">
                  Add image
                  <input
                    type="file"
                    accept="image/png,image/jpeg,image/webp,image/gif"
                    aria-label={`Add an image to ${p.name}`}
                    onChange={(e) => void addImage(p.sku, e.target.files?.[0])}
                  />
                </label>
                <button type="button" className="secondary" onClick={() => edit(p)}>
                  Edit
                </button>
                <ConfirmButton
                  question={`Remove ${p.name} from the catalog?`}
                  confirm="Yes, remove"
                  onConfirm={() => void remove(p.sku)}
                  label={`Remove ${p.name}`}
                >
                  Remove
                </ConfirmButton>
              </td>
            </tr>
          ))}
          {products.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No products yet: add the first one below.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Product">
        <h2>{editing ? `Edit ${editing.name}` : "Add a product"}</h2>
        <label>
          SKU
          <input required maxLength={194} {...field("sku")} disabled={editing !== undefined} />
        </label>
        <label>
          Name
          <input required maxLength={200} {...field("name")} />
        </label>
        <label>
          Description
          <textarea rows={3} maxLength={5000} {...field("description")} />
        </label>
        <label>
          Category
          <input maxLength={60} {...field("category")} />
        </label>
        <label>
          Owning team
          <input maxLength={64} {...field("teamId")} />
        </label>
        <div className="row">
          <label>
            List price
            <input inputMode="decimal" placeholder="0.00" {...field("amount")} />
          </label>
          <label>
            Currency
            <input maxLength={3} {...field("currency")} />
          </label>
        </div>
        <div className="row">
          <button type="submit" className="primary">
            {editing ? "Save product" : "Add product"}
          </button>
          {editing && (
            <button
              type="button"
              className="ghost"
              onClick={() => {
                setEditing(undefined);
                setForm(EMPTY);
              }}
            >
              Cancel
            </button>
          )}
        </div>
        {saved && (
          <p className="notice" role="status">
            {saved}
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
