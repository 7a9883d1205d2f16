import { SwitchboardProvider } from "@switchboard/react";
import { useEffect } from "react";
import { ConnectionBadge } from "../components/ConnectionBadge.js";
import { ChatWidget } from "../pages/customer/ChatWidget.js";
import { MyOrders } from "../pages/customer/MyOrders.js";
import { OrderTracker } from "../pages/customer/OrderTracker.js";
import { SignIn } from "../pages/SignIn.js";
import { Product } from "../pages/shop/Product.js";
import { Shop } from "../pages/shop/Shop.js";
import { Dashboard } from "../pages/staff/Dashboard.js";
import { Inbox } from "../pages/staff/Inbox.js";
import { Inventory } from "../pages/staff/Inventory.js";
import { OrderBoard } from "../pages/staff/OrderBoard.js";
import { PricingConsole } from "../pricing/PricingConsole.js";
import { Link, match, navigate, usePath } from "./router.js";
import { isStaff, type Session, setSession, useSession } from "./session.js";

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;

function Nav({ session }: { session: Session }) {
  const path = usePath();
  const links = isStaff(session)
    ? [
        ["/console/orders", "Orders"],
        ["/console/inventory", "Inventory"],
        ["/console/pricing", "Pricing"],
        ["/console/inbox", "Inbox"],
        ["/console/dashboard", "Dashboard"],
      ]
    : [
        ["/shop", "Shop"],
        ["/orders", "My repairs & orders"],
      ];
  return (
    <nav aria-label="Main">
      {links.map(([href, label]) => (
        <Link
          key={href}
          href={href as string}
          aria-current={path.startsWith(href as string) ? "page" : undefined}
        >
          {label}
        </Link>
      ))}
    </nav>
  );
}

function Page({ session }: { session: Session }) {
  const path = usePath();
  const staff = isStaff(session);
  if (staff) {
    if (path.startsWith("/console/orders")) return <OrderBoard />;
    if (path.startsWith("/console/inbox")) return <Inbox />;
    if (path.startsWith("/console/inventory")) return <Inventory />;
    if (path.startsWith("/console/pricing")) return <PricingConsole />;
    if (path.startsWith("/console/dashboard")) return <Dashboard />;
  } else {
    const product = match("/shop/:sku", path);
    if (product) return <Product sku={product.sku as string} />;
    if (path.startsWith("/shop")) return <Shop />;
    const order = match("/orders/:id", path);
    if (order) return <OrderTracker id={order.id as string} />;
    if (path.startsWith("/orders")) return <MyOrders />;
  }
  return <Redirect to={staff ? "/console/orders" : "/shop"} />;
}

/** Unknown paths (and `/`) go to the home page of the role; navigation happens after render. */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

export function App() {
  const session = useSession();
  if (!session) {
    return (
      <div className="shell">
        <SignIn />
      </div>
    );
  }
  return (
    <SwitchboardProvider
      key={session.user + session.role}
      url={wsUrl}
      token={session.token}
      options={{ client: { name: "switchboard-web", version: "0.1.0" } }}
    >
      <div className="shell">
        <a className="skip" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <Link href="/" className="brand">
            <span className="logo" aria-hidden="true" />
            Switchboard{" "}
            <span className="brand-sub">{isStaff(session) ? "Console" : "Fixit Repairs"}</span>
          </Link>
          <Nav session={session} />
          <div className="topbar-right">
            <ConnectionBadge />
            <span className="who" title={session.role}>
              {session.name}
            </span>
            <button type="button" className="ghost" onClick={() => setSession(null)}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main">
          <Page session={session} />
        </main>
        {!isStaff(session) && <ChatWidget />}
      </div>
    </SwitchboardProvider>
  );
}
