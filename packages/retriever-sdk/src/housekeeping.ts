// What operating systems and NAS software write into any folder a person browses or shares: never a file
// or folder someone dropped. Windows Explorer makes Thumbs.db and desktop.ini, a Mac's Finder "Icon\r" (a
// folder's custom icon; .DS_Store and ._ files are hidden anyway), Synology DSM an @eaDir folder (its
// thumbnails and index) in every shared folder with media, and #recycle, #snapshot, $RECYCLE.BIN,
// "System Volume Information" and lost+found at the top of shares and disks.
const HOUSEKEEPING = new Set(
  [
    'Thumbs.db',
    'ehthumbs.db',
    'ehthumbs_vista.db',
    'desktop.ini',
    'Icon\r',
    '@eaDir',
    '#recycle',
    '#snapshot',
    '$RECYCLE.BIN',
    'System Volume Information',
    'lost+found',
  ].map((name) => name.toLowerCase()),
);

/**
 * Whether `name` (an entry directly in a drop or request folder) is the housekeeping of an operating system
 * or a NAS: left alone, never taken, set aside or warned about. Compared without case, as Windows and SMB
 * shares name them.
 */
export function isHousekeepingName(name: string): boolean {
  return HOUSEKEEPING.has(name.toLowerCase());
}
