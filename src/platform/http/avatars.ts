import type { FastifyInstance } from 'fastify';

/** Where Siyu serves drawn avatars: `/avatars/<colour>/<initial>.svg`. */
export const AVATAR_PATH = '/avatars';

const COLOURS = ['#7cb305', '#08979c', '#d48806', '#c41d7f', '#1d39c4', '#531dab', '#d4380d', '#389e0d'];

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A coloured disc with one character on it: the simulated people's avatars, drawn here (no outside host). */
export function avatarSvg(colour: number, initial: string): string {
  const fill = COLOURS[Math.abs(Math.trunc(colour)) % COLOURS.length];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
    `<circle cx="32" cy="32" r="32" fill="${fill}"/>` +
    `<text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">${escapeXml(initial)}</text></svg>`
  );
}

/** `GET /avatars/:colour/:initial.svg` — public, immutable, one character at most. */
export async function avatarRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { colour: string; file: string } }>(
    `${AVATAR_PATH}/:colour/:file`,
    { schema: { hide: true } },
    async (request, reply) => {
      const colour = Number(request.params.colour);
      const m = /^(.*)\.svg$/u.exec(request.params.file);
      const chars = m ? [...m[1]!] : [];
      if (!Number.isInteger(colour) || colour < 0 || colour >= COLOURS.length || chars.length !== 1) {
        return reply.code(404).type('text/plain').send('no such avatar');
      }
      return reply
        .type('image/svg+xml')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(avatarSvg(colour, chars[0]!));
    },
  );
}
