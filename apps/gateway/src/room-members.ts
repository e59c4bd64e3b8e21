/**
 * Who is in each room on this gateway, kept up to date as sockets join and leave, so a join costs O(1)
 * per member (one `member:joined` to the others) instead of sending everyone the whole list again: 300
 * joins to one room are O(n), not O(n²) lists. A person with several connections (tabs) to a room is one
 * member, who leaves when the last connection goes.
 */
import type { Member } from '@inkling/protocol';

interface Entry {
  member: Member;
  sockets: number;
}

export class RoomMembers {
  private readonly rooms = new Map<string, Map<string, Entry>>();

  /** Adds a connection of `member`; true when the person was not in the room on this gateway before. */
  add(roomId: string, member: Member): boolean {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new Map();
      this.rooms.set(roomId, room);
    }
    const entry = room.get(member.userId);
    if (entry) {
      entry.sockets++;
      entry.member = member;
      return false;
    }
    room.set(member.userId, { member, sockets: 1 });
    return true;
  }

  /** Removes a connection; true when it was the person's last one in the room on this gateway. */
  remove(roomId: string, userId: string): boolean {
    const room = this.rooms.get(roomId);
    const entry = room?.get(userId);
    if (!room || !entry) return false;
    if (--entry.sockets > 0) return false;
    room.delete(userId);
    if (room.size === 0) this.rooms.delete(roomId);
    return true;
  }

  /** The members connected to this gateway, in joining order. */
  list(roomId: string): Member[] {
    return [...(this.rooms.get(roomId)?.values() ?? [])].map((e) => e.member);
  }
}

/** Members from several gateways' sockets, one per person (the first connection's name and colour). */
export function membersOf(sockets: readonly { data: { userId?: string; name?: string; color?: string } }[]): Member[] {
  const byUser = new Map<string, Member>();
  for (const { data } of sockets) {
    if (data.userId && data.name && data.color && !byUser.has(data.userId))
      byUser.set(data.userId, { userId: data.userId, name: data.name, color: data.color });
  }
  return [...byUser.values()];
}
