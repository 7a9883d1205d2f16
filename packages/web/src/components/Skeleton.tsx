/** Placeholder cards while a list loads: the page keeps its shape, screen readers hear "Loading". */
export function SkeletonCards({ count = 3, label }: { count?: number; label: string }) {
  return (
    <ul className="cards" aria-busy="true" aria-label={label}>
      {Array.from({ length: count }, (_, i) => (
        <li key={i} className="card skeleton skeleton-card" aria-hidden="true" />
      ))}
    </ul>
  );
}

/** Placeholder rows for a table while it loads. */
export function SkeletonRows({ columns, rows = 3 }: { columns: number; rows?: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        <tr key={r}>
          <td colSpan={columns}>
            <span className="skeleton-line" aria-hidden="true" />
            {r === 0 && <span className="sr-only">Loading…</span>}
          </td>
        </tr>
      ))}
    </>
  );
}
