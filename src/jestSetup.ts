// Extra jest setup for this repository (the scaffold's .config/jest-setup.js stays untouched).
// Grafana's Combobox measures text on a canvas; jsdom has none, so a fixed-width font is faked.
const fakeContext = {
  font: '',
  measureText: (text: string) => ({ width: text.length * 7 }) as TextMetrics,
};
Object.defineProperty(HTMLCanvasElement.prototype, 'getContext', {
  configurable: true,
  writable: true,
  value: () => fakeContext,
});
