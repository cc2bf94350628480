/** The file name a download's Content-Disposition gives (its UTF-8 form first), or `fallback`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (utf8) {
    try {
      return decodeURIComponent(utf8[1]!);
    } catch {
      // a malformed name: the plain one
    }
  }
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

/**
 * Saves the file a call answered (made with `parseAs: 'blob'`, so that an error still arrives as ApiError
 * with its message rather than as a JSON page the browser would open).
 */
export async function saveDownload(
  call: Promise<{ data?: unknown; response: Response }>,
  fallback: string,
): Promise<void> {
  const { data, response } = await call;
  const url = URL.createObjectURL(data as Blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileNameOf(response.headers.get('content-disposition'), fallback);
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
