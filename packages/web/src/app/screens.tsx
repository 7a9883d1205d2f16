import type { ReactNode } from "react";
import { BookAppointment } from "../appointments/BookAppointment.js";
import { StaffDay } from "../appointments/StaffDay.js";
import { Coach } from "../coach/Coach.js";
import { NotificationSettings } from "../notifications/Settings.js";
import { MyOrders } from "../pages/customer/MyOrders.js";
import { OrderTracker } from "../pages/customer/OrderTracker.js";
import { Product } from "../pages/shop/Product.js";
import { Shop } from "../pages/shop/Shop.js";
import { Dashboard } from "../pages/staff/Dashboard.js";
import { Inbox } from "../pages/staff/Inbox.js";
import { Inventory } from "../pages/staff/Inventory.js";
import { OrderBoard } from "../pages/staff/OrderBoard.js";
import { CatalogConsole } from "../pricing/CatalogConsole.js";
import { CheapestTimes } from "../pricing/CheapestTimes.js";
import { PricingConsole } from "../pricing/PricingConsole.js";
import { PusherApps } from "../pusher/PusherApps.js";
import { Teams } from "../teams/Teams.js";

/** Who a screen is for: customers (the storefront side) or staff (the console). */
export type Audience = "customer" | "staff";

export interface Screen {
  audience: Audience;
  /** A router pattern (`/orders/:id`); matched exactly. */
  path: string;
  /** The tab title (a screen may set a more precise one with usePageTitle). */
  title: string;
  /** In the main navigation under this label (screens reached from another one have none). */
  nav?: string;
  /** Only admins see it in the navigation (the screen tells others it is not theirs). */
  adminOnly?: boolean;
  render: (params: Record<string, string>) => ReactNode;
}

/**
 * Every screen of the app, in navigation order. A new screen is one line here: its audience,
 * its path, its title, its navigation label if it has one, and what it renders.
 */
export const SCREENS: Screen[] = [
  ...(["customer", "staff"] as const).map((audience) => ({
    audience,
    path: "/notifications/settings",
    title: "Notification settings",
    render: () => <NotificationSettings />,
  })),
  { audience: "customer", path: "/shop", title: "Shop", nav: "Shop", render: () => <Shop /> },
  {
    audience: "customer",
    path: "/shop/:sku",
    title: "Product",
    render: (p) => <Product sku={p.sku as string} />,
  },
  {
    audience: "customer",
    path: "/orders",
    title: "My repairs & orders",
    nav: "My repairs & orders",
    render: () => <MyOrders />,
  },
  {
    audience: "customer",
    path: "/orders/:id",
    title: "Tracking",
    render: (p) => <OrderTracker id={p.id as string} />,
  },
  {
    audience: "customer",
    path: "/appointments",
    title: "Appointments",
    nav: "Appointments",
    render: () => <BookAppointment />,
  },
  {
    audience: "customer",
    path: "/appointments/cheapest",
    title: "Cheapest times",
    render: () => <CheapestTimes />,
  },
  {
    audience: "staff",
    path: "/console/appointments",
    title: "Appointments",
    nav: "Appointments",
    render: () => <StaffDay />,
  },
  {
    audience: "staff",
    path: "/console/orders",
    title: "Orders",
    nav: "Orders",
    render: () => <OrderBoard />,
  },
  {
    audience: "staff",
    path: "/console/inventory",
    title: "Inventory",
    nav: "Inventory",
    render: () => <Inventory />,
  },
  {
    audience: "staff",
    path: "/console/pricing",
    title: "Pricing",
    nav: "Pricing",
    render: () => <PricingConsole />,
  },
  {
    audience: "staff",
    path: "/console/catalog",
    title: "Catalog",
    nav: "Catalog",
    render: () => <CatalogConsole />,
  },
  {
    audience: "staff",
    path: "/console/inbox",
    title: "Inbox",
    nav: "Inbox",
    render: () => <Inbox />,
  },
  {
    audience: "staff",
    path: "/console/teams",
    title: "Teams",
    nav: "Teams",
    render: () => <Teams />,
  },
  {
    audience: "staff",
    path: "/console/coach",
    title: "Coach",
    nav: "Coach",
    render: () => <Coach />,
  },
  {
    audience: "staff",
    path: "/console/dashboard",
    title: "Dashboard",
    nav: "Dashboard",
    render: () => <Dashboard />,
  },
  {
    audience: "staff",
    path: "/console/pusher",
    title: "Pusher apps",
    nav: "Pusher apps",
    adminOnly: true,
    render: () => <PusherApps />,
  },
];

/** The home screen of each audience: where `/` and signing in lead. */
export const HOME: Record<Audience, string> = { customer: "/shop", staff: "/console/orders" };
