/** Register a custom element once: this module may be loaded by more than one bundle on a page. */
export function define(name: string, element: CustomElementConstructor): void {
  if (!customElements.get(name)) customElements.define(name, element);
}
