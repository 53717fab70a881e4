import { svg } from "lit";

export const brushIcon = svg`<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" fill="currentColor">
  <path d="M20.7 4.6l-1.3-1.3a1 1 0 0 0-1.4 0L9 12.3l2.7 2.7 9-9a1 1 0 0 0 0-1.4zM7.5 14c-1.7 0-3 1.3-3 3 0 1.1-.9 2-2 2 .9 1.2 2.4 2 4 2 2.2 0 4-1.8 4-4 0-1.7-1.3-3-3-3z"/></svg>`;

export const closeIcon = svg`<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" fill="none"
  stroke="currentColor" stroke-width="2.5" stroke-linecap="round"><path d="M6 6l12 12M18 6L6 18"/></svg>`;

export const uploadIcon = svg`<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none"
  stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
  <path d="M12 16V4M7 9l5-5 5 5M4 20h16"/></svg>`;

export const checkIcon = svg`<svg viewBox="0 0 24 24" width="12" height="12" aria-hidden="true" fill="none"
  stroke="currentColor" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round">
  <path d="M5 12.5l4.5 4.5L19 7.5"/></svg>`;
