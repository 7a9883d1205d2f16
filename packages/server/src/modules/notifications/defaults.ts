import type { TemplateContent } from "./contract.js";

/**
 * The templates every server has (version 0). A template made over REST with the same type
 * replaces its default from then on; deleting nothing is needed to go back: make a new version.
 */
export const DEFAULT_TEMPLATES: Record<string, TemplateContent> = {
  message: {
    category: "general",
    defaultChannels: ["in_app", "push"],
    inApp: { title: "{{title}}", body: "{{body}}", actions: [] },
    email: { subject: "{{title}}", text: "{{body}}" },
    sms: { text: "{{title}}: {{body}}" },
  },
  "order.ready_for_pickup": {
    category: "orders",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "Ready for pickup",
      body: "{{title}} is ready for pickup.",
      actions: [{ id: "view", label: "View order", url: "/orders/{{orderId}}" }],
    },
    push: {
      title: "Ready for pickup",
      body: "{{title}} is ready for pickup.",
      url: "/orders/{{orderId}}",
    },
    email: {
      subject: "Ready for pickup: {{title}}",
      text: "Good news: {{title}} is ready for pickup.\n\nOrder {{orderId}}",
      html: "<p>Good news: <strong>{{title}}</strong> is ready for pickup.</p><p>Order {{orderId}}</p>",
    },
    sms: { text: "{{title}} is ready for pickup (order {{orderId}})." },
  },
  "order.quote_waiting": {
    category: "orders",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "Your quote is waiting",
      body: "Please approve or decline the quote for {{title}}.",
      actions: [
        {
          id: "approve",
          label: "Approve quote",
          rpc: { method: "orders.transition", params: { id: "{{orderId}}", to: "quote-approved" } },
        },
        { id: "view", label: "View", url: "/orders/{{orderId}}" },
      ],
    },
    email: {
      subject: "Your quote is waiting: {{title}}",
      text: "Please approve or decline the quote for {{title}} (order {{orderId}}).",
    },
  },
  "order.status": {
    category: "orders",
    defaultChannels: ["in_app"],
    inApp: {
      title: "{{title}}: {{statusLabel}}",
      body: "Your order is now {{statusLabel}}.",
      actions: [{ id: "view", label: "View order", url: "/orders/{{orderId}}" }],
    },
  },
  "inventory.back_in_stock": {
    category: "stock",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "Back in stock",
      body: "{{name}} is back in stock ({{available}} available).",
      actions: [{ id: "view", label: "View", url: "/shop/{{sku}}" }],
    },
    email: { subject: "Back in stock: {{name}}", text: "{{name}} is back in stock." },
  },
  "chat.reply": {
    category: "chat",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "New reply from {{authorName}}",
      body: "{{text}}",
      actions: [{ id: "open", label: "Open chat", url: "/chat/{{conversationId}}" }],
    },
    email: { subject: "New reply from {{authorName}}", text: "{{text}}" },
  },
  "pricing.price_drop": {
    category: "prices",
    defaultChannels: ["in_app", "push"],
    inApp: {
      title: "Price drop",
      body: "{{sku}} is now {{amount}} {{currency}}.",
      actions: [{ id: "view", label: "View", url: "/shop/{{sku}}" }],
    },
  },
  "appointment.reminder": {
    category: "appointments",
    defaultChannels: ["in_app", "push", "email", "sms"],
    inApp: {
      title: "Appointment reminder",
      body: "Your appointment starts at {{startsAt}}.",
      actions: [],
    },
    sms: { text: "Reminder: your appointment starts at {{startsAt}}." },
  },
  "metrics.alert": {
    category: "business",
    defaultChannels: ["in_app", "push"],
    inApp: {
      title: "{{title}}",
      body: "{{body}}",
      actions: [{ id: "view", label: "Open dashboard", url: "/console/dashboard" }],
    },
    push: { title: "{{title}}", body: "{{body}}", url: "/console/dashboard" },
    email: { subject: "{{title}}", text: "{{body}}" },
  },
  "notifications.digest": {
    category: "digest",
    defaultChannels: ["in_app", "push", "email"],
    inApp: { title: "{{count}} new: {{firstTitle}}", body: "{{lines}}", actions: [] },
    email: { subject: "{{count}} new notifications", text: "{{lines}}" },
  },
};
