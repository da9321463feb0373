// Verovio (MusicXML/MEI engraving, WebAssembly) loaded on first use: its ~7 MB module is a chunk of its
// own that the first page never loads. One toolkit per page view is plenty (they are independent).
export interface VerovioToolkit {
  setOptions(options: Record<string, unknown>): void;
  loadData(data: string): boolean;
  getPageCount(): number;
  renderToSVG(page: number, xmlDeclaration?: boolean): string;
  renderToMIDI(): string; // base64
  getElementsAtTime(ms: number): { page: number; notes: string[]; measure?: string };
  getMEI(options?: Record<string, unknown>): string;
  redoLayout(options?: Record<string, unknown>): void;
  getPageWithElement(id: string): number;
}

export async function createToolkit(): Promise<VerovioToolkit> {
  const [{ default: createVerovioModule }, { VerovioToolkit }] = await Promise.all([
    import("verovio/wasm"),
    import("verovio/esm"),
  ]);
  const module = await createVerovioModule();
  return new VerovioToolkit(module) as VerovioToolkit;
}
