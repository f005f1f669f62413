/* Bidirectional text helper: names and phone numbers are isolated (FSI … PDI) inside translated
 * sentences, so "+41 22 …" or a Latin name keeps its order in an Arabic (RTL) sentence. */
export const iso = (s: string | null | undefined) => (s ? `\u2068${s}\u2069` : '')
