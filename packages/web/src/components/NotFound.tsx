import { Link } from "../app/router.js";

/** A page that is not there: say so, and lead somewhere useful. */
export function NotFound({
  home,
  otherSide = false,
  title = "We could not find that page",
  text,
}: {
  home: string;
  /** The address is a screen of the other side (a customer link opened in the console). */
  otherSide?: boolean;
  title?: string;
  text?: string;
}) {
  return (
    <section className="page not-found">
      <h1>{title}</h1>
      <p className="muted">
        {text ??
          (otherSide
            ? "That page is for the other side of the shop: sign in with that role to see it."
            : "The link may be old or mistyped.")}
      </p>
      <p>
        <Link href={home} className="button-link primary">
          Go to the start page
        </Link>
      </p>
    </section>
  );
}
