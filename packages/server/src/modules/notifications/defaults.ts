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
      body: "The quote for {{title}} is {{amountText}}: please approve or decline it.",
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
      text: "The quote for {{title}} is {{amountText}}: please approve or decline it (order {{orderId}}).",
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
      actions: [{ id: "open", label: "Open chat", url: "/shop?chat={{conversationId}}" }],
    },
    push: {
      title: "New reply from {{authorName}}",
      body: "{{text}}",
      url: "/shop?chat={{conversationId}}",
    },
    email: {
      subject: "New reply from {{authorName}}",
      text: "{{authorName}} wrote:\n\n{{text}}\n\nOpen the chat to answer.",
    },
  },
  "pricing.price_drop": {
    category: "prices",
    defaultChannels: ["in_app", "push"],
    inApp: {
      title: "Price drop",
      body: "{{sku}} is now {{amount}}.",
      actions: [{ id: "view", label: "View", url: "/shop/{{sku}}" }],
    },
  },
  "appointment.reminder": {
    category: "appointments",
    defaultChannels: ["in_app", "push", "email", "sms"],
    inApp: {
      title: "Appointment reminder",
      body: "Your appointment is on {{when}}.",
      actions: [{ id: "view", label: "My appointments", url: "/appointments" }],
    },
    email: {
      subject: "Reminder: your appointment on {{when}}",
      text: "This is a reminder of your appointment on {{when}} ({{timeZone}}).",
    },
    sms: { text: "Reminder: your appointment is on {{when}}." },
  },
  "appointment.pickup_offered": {
    category: "appointments",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "Book your pickup",
      body: "{{title}} is ready. {{firstFree}}",
      actions: [{ id: "book", label: "Choose a pickup time", url: "/appointments" }],
    },
    push: {
      title: "Book your pickup",
      body: "{{title}} is ready. {{firstFree}}",
      url: "/appointments",
    },
    email: {
      subject: "Book a pickup time for {{title}}",
      text: "{{title}} is ready for pickup. {{firstFree}}\n\nChoose a time on the appointments page.",
    },
  },
  "appointment.confirmed": {
    category: "appointments",
    defaultChannels: ["in_app", "email"],
    inApp: {
      title: "Appointment booked",
      body: "See you on {{when}}.",
      actions: [{ id: "view", label: "My appointments", url: "/appointments" }],
    },
    email: {
      subject: "Your appointment on {{when}}",
      text: "Your appointment is booked for {{when}} ({{timeZone}}).",
    },
  },
  "appointment.rescheduled": {
    category: "appointments",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "Appointment moved",
      body: "Your appointment moved from {{previousWhen}} to {{when}}.",
      actions: [{ id: "view", label: "My appointments", url: "/appointments" }],
    },
    email: {
      subject: "Your appointment moved to {{when}}",
      text: "Your appointment moved from {{previousWhen}} to {{when}} ({{timeZone}}).",
    },
  },
  "appointment.cancelled": {
    category: "appointments",
    defaultChannels: ["in_app", "push", "email"],
    inApp: {
      title: "Appointment cancelled",
      body: "Your appointment on {{when}} is cancelled.",
      actions: [{ id: "book", label: "Book again", url: "/appointments" }],
    },
    email: {
      subject: "Appointment cancelled: {{when}}",
      text: "Your appointment on {{when}} ({{timeZone}}) is cancelled.",
    },
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
