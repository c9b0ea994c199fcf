/** The OperatorHub icon: three stacked local disks on a node, drawn for this project (no third-party art). */
export const ICON_SVG = [
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">',
  '<rect x="2" y="2" width="60" height="60" rx="12" fill="#1f5fa8"/>',
  ...[13, 26, 39].map(
    (y) =>
      `<path d="M14 ${y + 4}v6c0 2.2 8 4 18 4s18-1.8 18-4v-6" fill="#9cc8f0" stroke="#fff" stroke-width="2"/>` +
      `<ellipse cx="32" cy="${y + 4}" rx="18" ry="4" fill="#d8ecff" stroke="#fff" stroke-width="2"/>`,
  ),
  '<circle cx="43" cy="48" r="2" fill="#2ecc71"/>',
  '</svg>',
].join('');

/** `spec.icon` of the CSV: exactly one icon with data and a mediatype (the operatorhub validator's rule). */
export function csvIcon(): { base64data: string; mediatype: 'image/svg+xml' }[] {
  return [{ base64data: Buffer.from(ICON_SVG, 'utf8').toString('base64'), mediatype: 'image/svg+xml' }];
}
