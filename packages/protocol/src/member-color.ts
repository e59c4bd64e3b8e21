/**
 * A stable colour per person, computed the same way by the gateway and every client.
 *
 * The palette is chosen so that any two people look different on the white board, and so that a person's
 * white name tag stays readable on their colour (member-color.test.ts checks all of it):
 * - every colour has a contrast of at least 4.5:1 with the board's white (WCAG AA for text, so white text on
 *   the colour is readable too, and a thin stroke stands out);
 * - every pair differs by CIEDE2000 ΔE ≥ 24 for typical colour vision. A just-noticeable difference is about
 *   1–2, but thin strokes and small tags need "obviously another colour": the old palette's red and pink
 *   (ΔE 21.3) were reported as hard to tell apart on the board, so the bound sits above that pair;
 * - every pair still differs by ΔE ≥ 12 when simulated for protanopia, deuteranopia and tritanopia
 *   (Machado et al. 2009, full severity). Colour is never the only cue: live strokes carry a name tag and
 *   the members list names everyone.
 * Eight colours is the most that met those bounds in a search over the sRGB cube (the best 10-colour
 * palette reaches only ΔE 15); with more, a hash collision is rarer but every pair looks more alike.
 * `pickColor` avoids collisions altogether for rooms of up to eight people.
 */
export const MEMBER_PALETTE = ['#0022aa', '#bb5566', '#005533', '#bb33dd', '#776611', '#117788', '#770000', '#660044'] as const;

export function colorFor(userId: string): string {
  let h = 0;
  for (const ch of userId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return MEMBER_PALETTE[h % MEMBER_PALETTE.length] as string;
}

/**
 * A colour for `userId` in a room whose members already use `taken`: their usual colour when it is free,
 * else the first free one, so that up to MEMBER_PALETTE.length people never share a colour.
 */
export function pickColor(userId: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const usual = colorFor(userId);
  if (!used.has(usual)) return usual;
  return MEMBER_PALETTE.find((c) => !used.has(c)) ?? usual;
}
