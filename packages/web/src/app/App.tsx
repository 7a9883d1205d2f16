import { SwitchboardProvider } from "@switchboard/react";
import { type ReactNode, useEffect } from "react";
import { ConnectionBadge } from "../components/ConnectionBadge.js";
import { NotFound } from "../components/NotFound.js";
import { InboxBadge, StaffDeskProvider } from "../components/staff/StaffDesk.js";
import { Toasts } from "../components/Toasts.js";
import { NotificationBell } from "../notifications/Bell.js";
import { ChatWidget } from "../pages/customer/ChatWidget.js";
import { SignIn } from "../pages/SignIn.js";
import { Link, match, navigate, usePath } from "./router.js";
import { type Audience, HOME, SCREENS } from "./screens.js";
import { isStaff, setSession, useSession } from "./session.js";
import { setPlaceTitle, setSiteTitle } from "./title.js";

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;

/** Badges beside navigation links, by path (the staff desk counts unread chats). */
const NAV_BADGES: Record<string, () => ReactNode> = { "/console/inbox": InboxBadge };

function Nav({ audience }: { audience: Audience }) {
  const path = usePath();
  const admin = useSession()?.role === "admin";
  return (
    <nav aria-label="Main">
      {SCREENS.filter((s) => s.audience === audience && s.nav && (admin || !s.adminOnly)).map(
        (s) => {
          const Badge = NAV_BADGES[s.path];
          return (
            <Link
              key={s.path}
              href={s.path}
              aria-current={path === s.path || path.startsWith(`${s.path}/`) ? "page" : undefined}
            >
              {s.nav}
              {Badge && <Badge />}
            </Link>
          );
        },
      )}
    </nav>
  );
}

function Page({ audience }: { audience: Audience }) {
  const path = usePath();
  const found = SCREENS.filter((s) => s.audience === audience)
    .map((s) => ({ screen: s, params: match(s.path, path) }))
    .find((m) => m.params);
  const title = found?.screen.title ?? (path === "/" ? "" : "Page not found");
  useEffect(() => setPlaceTitle(title), [title]);
  if (found?.params) return <>{found.screen.render(found.params)}</>;
  if (path === "/" || path === "") return <Redirect to={HOME[audience]} />;
  // a customer's link opened by staff (or the reverse) says so instead of a blank redirect
  const other = SCREENS.some((s) => s.audience !== audience && match(s.path, path));
  return <NotFound home={HOME[audience]} otherSide={other} />;
}

/** `/` goes to the home page of the role; navigation happens after render. */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

export function App() {
  const session = useSession();
  const audience: Audience = isStaff(session) ? "staff" : "customer";
  useEffect(() => {
    setSiteTitle(
      !session ? "Switchboard" : audience === "staff" ? "Fixit Console" : "Fixit Repairs",
    );
    if (!session) setPlaceTitle("Sign in");
  }, [session, audience]);
  if (!session) {
    return (
      <div className="shell">
        <SignIn />
      </div>
    );
  }
  const shell = (
    <div className={`shell shell-${audience}`}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          <span className="logo" aria-hidden="true" />
          Fixit <span className="brand-sub">{audience === "staff" ? "Console" : "Repairs"}</span>
        </Link>
        <Nav audience={audience} />
        <div className="topbar-right">
          <ConnectionBadge />
          <NotificationBell />
          <span className="who" title={session.role}>
            <span className="avatar" aria-hidden="true">
              {session.name.slice(0, 1).toUpperCase()}
            </span>
            <span className="who-name">{session.name}</span>
          </span>
          <button type="button" className="ghost" onClick={() => setSession(null)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page audience={audience} />
      </main>
      {audience === "customer" && <ChatWidget />}
      <Toasts />
    </div>
  );
  return (
    <SwitchboardProvider
      key={session.user + session.role}
      url={wsUrl}
      token={session.token}
      options={{ client: { name: "switchboard-web", version: "0.1.0" } }}
    >
      {audience === "staff" ? <StaffDeskProvider>{shell}</StaffDeskProvider> : shell}
    </SwitchboardProvider>
  );
}
