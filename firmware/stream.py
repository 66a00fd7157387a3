"""Decide which data notification to send next: live samples or a requested backfill. Pure.

The ring is the only copy of the samples. The live cursor and the backfill cursor are indices into
it; a notification is built into one preallocated buffer and only `commit()` (after the radio took
it) advances the cursor and `seq`. A refused notification is therefore simply built again later,
and nothing in prepare()/commit() allocates.
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

from packet import (FLAG_BACKFILL, FLAG_OVERRUN, HEADER_LEN, MAX_PACKET_LEN, MAX_SAMPLES,
                    SAMPLE_LEN, packet_len, samples_per_packet, write_header)

ERR_NONE = const(0)
ERR_BACKFILL_RANGE = const(5)
_U32 = 0xFFFFFFFF
_QUEUE_LEN = const(16)
_KIND_NONE = const(0)
_KIND_LIVE = const(1)
_KIND_BACKFILL = const(2)


class Streamer:
    def __init__(self, ring):
        self.ring = ring
        self.buf = bytearray(MAX_PACKET_LEN)
        mv = memoryview(self.buf)
        # One view per possible sample count, made once: handing a view to the radio allocates
        # nothing.
        self.views = [mv[:packet_len(k)] for k in range(MAX_SAMPLES + 1)]
        self.config = 0
        self.seq = 0
        self.n_max = 1
        self.live = False
        self.live_cursor = 0
        self.live_overrun = 0
        self.dropped_notifications = 0
        self.dropped_samples = 0
        # backfill queue: parallel lists of [from, to) absolute indices
        self.bf_from = [0] * _QUEUE_LEN
        self.bf_to = [0] * _QUEUE_LEN
        self.bf_head = 0
        self.bf_len = 0
        self.turn = 0
        self._n = 0
        self.skipped = False
        self._kind = _KIND_NONE
        self._next_cursor = 0

    # ---- control ---------------------------------------------------------------------------------
    def set_mtu(self, mtu):
        self.n_max = samples_per_packet(mtu)

    def start_live(self):
        """Live streaming starts with the next sample produced (older ones: ask for BACKFILL)."""
        self.live = True
        self.live_cursor = self.ring.next_index
        self.live_overrun = 0

    def stop_live(self):
        self.live = False

    def restart(self):
        """The sample index restarted (rate change): drop cursors and queued backfills."""
        self.live_cursor = self.ring.next_index
        self.bf_len = 0
        self.live_overrun = 0

    def clear_backfill(self):
        self.bf_len = 0

    def _unwrap(self, wire_index):
        """u32 index from the wire -> absolute index nearest to the ring's next_index."""
        n = self.ring.next_index
        ahead = (wire_index - n) & _U32
        if ahead < 0x80000000:
            return n + ahead
        return n - ((n - wire_index) & _U32)

    def request_backfill(self, wire_from, wire_to):
        """Queue [from, to) for resending. Returns 0, or 5 when part (or all) is not in the ring."""
        ring = self.ring
        first = self._unwrap(wire_from)
        end = first + ((wire_to - wire_from) & _U32)
        lo = first if first > ring.oldest_index() else ring.oldest_index()
        hi = end if end < ring.next_index else ring.next_index
        err = ERR_NONE if (lo == first and hi == end) else ERR_BACKFILL_RANGE
        if lo < hi:
            if self.bf_len == _QUEUE_LEN:
                # Full: widen the last entry rather than refuse (duplicates are harmless).
                last = (self.bf_head + self.bf_len - 1) % _QUEUE_LEN
                if lo < self.bf_from[last]:
                    self.bf_from[last] = lo
                if hi > self.bf_to[last]:
                    self.bf_to[last] = hi
            else:
                slot = (self.bf_head + self.bf_len) % _QUEUE_LEN
                self.bf_from[slot] = lo
                self.bf_to[slot] = hi
                self.bf_len += 1
        return err

    def backfill_pending(self):
        return self.bf_len > 0

    # ---- hot path: no allocation below -----------------------------------------------------------
    def _build(self, cursor, end, flags):
        """Build a packet of up to n_max samples from `cursor`; returns sample count.

        Lost samples at the cursor are skipped (flags gets OVERRUN); self._next_cursor is where the
        cursor goes after a commit. May return 0 when only lost samples were in the way.
        """
        ring = self.ring
        while cursor < end and ring.is_lost(cursor):
            cursor += 1
            flags |= FLAG_OVERRUN
        n = 0
        buf = self.buf
        while n < self.n_max and cursor + n < end and not ring.is_lost(cursor + n):
            ring.copy_out(cursor + n, buf, HEADER_LEN + SAMPLE_LEN * n)
            n += 1
        self._next_cursor = cursor + n
        self._n = n
        if n:
            write_header(buf, flags, self.config, self.seq, cursor & _U32)
        return n

    def prepare(self, flush):
        """Return the next notification (a memoryview) or None. `flush`: send a partial live packet."""
        self._kind = _KIND_NONE
        self.skipped = False
        ring = self.ring
        oldest = ring.oldest_index()
        # Live first unless a backfill is waiting and it is the backfill's turn.
        want_bf = self.bf_len > 0 and (self.turn or not self.live)
        for attempt in range(2):
            if want_bf and self.bf_len > 0:
                head = self.bf_head
                cur = self.bf_from[head]
                if cur < oldest:
                    cur = oldest   # overwritten while queued: the host sees the gap
                n = self._build(cur, self.bf_to[head], FLAG_BACKFILL)
                if n or self._next_cursor >= self.bf_to[head]:
                    self._kind = _KIND_BACKFILL
                    if n:
                        return self.views[n]
                    self.commit()   # the rest of that range was lost samples: done with it
                    self.skipped = True
                    return None
            elif not want_bf and self.live:
                if self.live_cursor < oldest:
                    # The radio could not keep up for a ring's worth of samples.
                    missed = oldest - self.live_cursor
                    self.dropped_samples += missed
                    self.dropped_notifications += (missed + self.n_max - 1) // self.n_max
                    self.live_cursor = oldest
                pending = ring.next_index - self.live_cursor
                if pending >= self.n_max or (flush and pending > 0):
                    n = self._build(self.live_cursor, ring.next_index, self.live_overrun)
                    self._kind = _KIND_LIVE
                    if n:
                        return self.views[n]
                    self.commit()
                    self.live_overrun = FLAG_OVERRUN
                    self.skipped = True
                    return None
            want_bf = not want_bf
        return None

    def commit(self):
        """The prepared notification was sent (or was empty): advance its cursor."""
        kind = self._kind
        sent = self._n > 0
        if kind == _KIND_LIVE:
            self.live_cursor = self._next_cursor
            if sent:
                self.live_overrun = 0
                self.turn = 1
        elif kind == _KIND_BACKFILL:
            head = self.bf_head
            self.bf_from[head] = self._next_cursor
            if self._next_cursor >= self.bf_to[head]:
                self.bf_head = (head + 1) % _QUEUE_LEN
                self.bf_len -= 1
            self.turn = 0
        if kind != _KIND_NONE and sent:
            self.seq = (self.seq + 1) & 0xFFFF
        self._kind = _KIND_NONE
        self._n = 0
