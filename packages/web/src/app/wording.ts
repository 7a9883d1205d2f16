/**
 * Lifecycle labels speak to the customer ("Quote awaiting your approval"); staff screens read
 * whose approval it is.
 */
export function staffWording(label: string): string {
  return label.replace(/\byour\b/g, "the customer's");
}
