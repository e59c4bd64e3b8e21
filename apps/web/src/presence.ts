/**
 * Who is drawing right now, and where their pen is: derived from others' live strokes. A person counts as
 * drawing while a live stroke of theirs arrives and for a short while after (between the two strokes of a
 * 4, say), so the indicator does not flicker.
 */

import type { PointerView } from '@inkling/client';
import type { Member, Point } from '@inkling/protocol';
import type { LiveStroke } from './board-state.js';

/** How long someone still counts as drawing after their last live point. */
export const DRAWING_LINGER_MS = 1500;

export class DrawingActivity {
  private readonly lastSeen = new Map<string, number>();

  /** Records live strokes' authors as active at `now`; returns whether the set of active people changed. */
  observe(live: ReadonlyMap<string, LiveStroke>, now: number): boolean {
    let changed = false;
    for (const l of live.values()) {
      if (!this.lastSeen.has(l.authorId)) changed = true;
      this.lastSeen.set(l.authorId, now);
    }
    return changed;
  }

  /** Forgets people quiet for longer than the linger; returns whether anyone was forgotten. */
  expire(now: number, lingerMs = DRAWING_LINGER_MS): boolean {
    let changed = false;
    for (const [id, at] of this.lastSeen) {
      if (now - at > lingerMs) {
        this.lastSeen.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  active(): string[] {
    return [...this.lastSeen.keys()].sort();
  }
}

export interface PenTag {
  strokeId: string;
  name: string;
  color: string;
  /** Pen tip in board units. */
  x: number;
  y: number;
}

/** One name tag per live stroke, at its newest point, in the author's colour. */
export function penTags(
  live: ReadonlyMap<string, LiveStroke>,
  members: readonly Member[],
  colorOf: (authorId: string) => string,
): PenTag[] {
  const tags: PenTag[] = [];
  for (const [strokeId, l] of live) {
    const tip: Point | undefined = l.points.at(-1);
    if (!tip) continue;
    const name = members.find((m) => m.userId === l.authorId)?.name ?? 'someone';
    tags.push({ strokeId, name, color: colorOf(l.authorId), x: tip[0], y: tip[1] });
  }
  return tags;
}

export interface PointerTag {
  userId: string;
  name: string;
  color: string;
  x: number;
  y: number;
}

/**
 * One marker per other person whose pointer is over the board, with their name, in their colour; not for
 * someone drawing right now (the tag at their pen tip already says who it is).
 */
export function pointerTags(
  pointers: ReadonlyMap<string, PointerView>,
  live: ReadonlyMap<string, LiveStroke>,
  members: readonly Member[],
  colorOf: (authorId: string) => string,
  selfId: string | null,
): PointerTag[] {
  const drawing = new Set([...live.values()].map((l) => l.authorId));
  const tags: PointerTag[] = [];
  for (const [userId, p] of pointers) {
    if (userId === selfId || drawing.has(userId)) continue;
    const member = members.find((m) => m.userId === userId);
    if (!member) continue;
    tags.push({ userId, name: member.name, color: colorOf(userId), x: p.position[0], y: p.position[1] });
  }
  return tags;
}
