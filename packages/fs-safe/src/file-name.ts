// Characters NTFS and SMB shares refuse, plus control characters.
// eslint-disable-next-line no-control-regex
const RESERVED = /[<>:"/\\|?*\u0000-\u001f\u007f]/g;
const WINDOWS_RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_BYTES = 255;

/**
 * A file name built from metadata that is safe on ext4, NTFS and SMB shares: reserved characters become
 * "_", no trailing dots or spaces, no reserved device names, at most 255 UTF-8 bytes including `suffix`
 * (cut on a character boundary), and unicode kept.
 */
export function safeFileName(name: string, suffix = '', fallback = 'untitled'): string {
  let base = name.normalize('NFC').replace(RESERVED, '_').replace(/\s+/g, ' ').trim();
  base = base.replace(/[. ]+$/, '').replace(/^\.+/, '');
  if (base === '' || /^_+$/.test(base)) base = fallback;
  if (WINDOWS_RESERVED_NAMES.test(base)) base = `_${base}`;
  const budget = MAX_BYTES - Buffer.byteLength(suffix);
  if (Buffer.byteLength(base) > budget) {
    let cut = '';
    for (const char of base) {
      if (Buffer.byteLength(cut + char) > budget) break;
      cut += char;
    }
    base = cut.replace(/[. ]+$/, '');
  }
  return base + suffix;
}
