/** Register a custom element once: this module may be loaded by more than one bundle on a page. */
export function define(name: string, element: CustomElementConstructor): void {
  if (!customElements.get(name)) customElements.define(name, element);
}

/** Lit's declaration of internal reactive state: `static properties = { ..., ...states("_a", "_b") }`. */
export function states(...names: string[]): Record<string, { state: true }> {
  return Object.fromEntries(names.map((name) => [name, { state: true }]));
}
