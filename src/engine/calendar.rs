//! The event calendar: pending events ordered by simulated time, ties broken by
//! the order in which they were scheduled.
//!
//! A binary min-heap written out here rather than `std::collections::BinaryHeap`:
//! it moves a hole instead of swapping, compares one `u128` key per step, and
//! needs no reversed `Ord`; on the reference workload it halves the cost of a pop.
//! Like `std`'s heap, its sift loops index without bounds checks where the
//! loop itself has tested the index against the length (the crate's only
//! `unsafe`, each block with its proof).

use crate::time::SimTime;

/// A pending event: `time << 64 | seq`, so one integer comparison orders by
/// time, then by insertion; and the event.
#[derive(Clone, Copy, Debug)]
struct Pending<E> {
    key: u128,
    event: E,
}

/// A priority queue of events by `(time, insertion sequence)`.
///
/// ```
/// use borderq::engine::Calendar;
/// use borderq::time::SimTime;
/// let mut cal = Calendar::new();
/// cal.schedule(SimTime(5), 'b');
/// cal.schedule(SimTime(1), 'a');
/// cal.schedule(SimTime(5), 'c');
/// assert_eq!(cal.pop(), Some((SimTime(1), 'a')));
/// assert_eq!(cal.pop(), Some((SimTime(5), 'b')));
/// assert_eq!(cal.pop(), Some((SimTime(5), 'c')));
/// assert_eq!(cal.pop(), None);
/// ```
#[derive(Clone, Debug)]
pub struct Calendar<E> {
    heap: Vec<Pending<E>>,
    seq: u64,
    /// The root was handed out by [`Calendar::take`] and awaits its successor.
    taken: bool,
}

impl<E: Copy> Default for Calendar<E> {
    fn default() -> Self {
        Calendar::new()
    }
}

impl<E: Copy> Calendar<E> {
    /// An empty calendar.
    pub fn new() -> Calendar<E> {
        Calendar {
            heap: Vec::with_capacity(64),
            seq: 0,
            taken: false,
        }
    }

    /// Schedules `event` at `at`.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let key = self.stamp(at);
        self.schedule_keyed(key, event);
    }

    /// Schedules `event` under a key stamped by another calendar (so that
    /// events in several heaps still pop in one order).
    #[inline]
    pub fn schedule_keyed(&mut self, key: u128, event: E) {
        if self.taken {
            // The event being handled makes way for the one it schedules:
            // one sift down instead of a sift down and a sift up.
            self.taken = false;
            self.sift_down_from_root(Pending { key, event });
            return;
        }
        // Sift up from a hole at the end.
        let heap = &mut self.heap;
        let mut i = heap.len();
        heap.push(Pending { key, event });
        let heap = heap.as_mut_slice();
        while i > 0 {
            let parent = (i - 1) / 2;
            // SAFETY: `i < heap.len()` (it starts at the pushed last index and
            // only decreases), and `parent < i`.
            unsafe {
                if heap.get_unchecked(parent).key <= key {
                    break;
                }
                *heap.get_unchecked_mut(i) = *heap.get_unchecked(parent);
            }
            i = parent;
        }
        heap[i] = Pending { key, event };
    }

    /// A key for time `at` that orders after every key stamped before it at
    /// the same time: for events kept outside the heap (the next arrival of
    /// each mode) that must still pop in calendar order.
    #[inline]
    pub fn stamp(&mut self, at: SimTime) -> u128 {
        let key = (u128::from(at.0) << 64) | u128::from(self.seq);
        self.seq += 1;
        key
    }

    /// The key of the earliest pending event, or `u128::MAX`.
    #[inline]
    pub fn next_key(&self) -> u128 {
        debug_assert!(!self.taken, "an event taken and not settled");
        self.heap.first().map_or(u128::MAX, |p| p.key)
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let top = self.take()?;
        self.settle();
        Some(top)
    }

    /// Returns the earliest pending event for handling. It leaves the
    /// calendar at the next [`Calendar::schedule`] (whose event takes its
    /// place) or at [`Calendar::settle`], whichever comes first; the order of
    /// events is the same as with [`Calendar::pop`].
    #[inline]
    pub fn take(&mut self) -> Option<(SimTime, E)> {
        debug_assert!(!self.taken, "an event taken and not settled");
        let top = *self.heap.first()?;
        self.taken = true;
        Some((SimTime((top.key >> 64) as u64), top.event))
    }

    /// Removes the taken event if nothing has taken its place.
    #[inline]
    pub fn settle(&mut self) {
        if !self.taken {
            return;
        }
        self.taken = false;
        let last = self.heap.pop().expect("the taken event is in the heap");
        if !self.heap.is_empty() {
            self.sift_down_from_root(last);
        }
    }

    /// Puts `item` at the root in place of the current root and sifts it down.
    #[inline]
    fn sift_down_from_root(&mut self, item: Pending<E>) {
        let heap = self.heap.as_mut_slice();
        let n = heap.len();
        // Sift `item` down from a hole at the root.
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            // SAFETY: `left < n` (tested above), `right` is read only when
            // `right < n`, so `child < n`; and `i < child`.
            unsafe {
                let child =
                    if right < n && heap.get_unchecked(right).key < heap.get_unchecked(left).key {
                        right
                    } else {
                        left
                    };
                if heap.get_unchecked(child).key >= item.key {
                    break;
                }
                *heap.get_unchecked_mut(i) = *heap.get_unchecked(child);
                i = child;
            }
        }
        heap[i] = item;
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        // A scrambled sequence with many equal times: pops must come out sorted
        // by time and, within a time, in the order scheduled.
        let mut cal = Calendar::new();
        let mut expected = Vec::new();
        let mut x = 12345u64;
        for i in 0..5000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = (x >> 33) % 50;
            cal.schedule(SimTime(t), i);
            expected.push((t, i));
            if i % 7 == 3 {
                // Interleave pops with pushes, as the engine does.
                expected.sort();
                let (t, e) = cal.pop().unwrap();
                assert_eq!((t.0, e), expected.remove(0));
            }
        }
        expected.sort();
        for want in expected {
            let (t, e) = cal.pop().unwrap();
            assert_eq!((t.0, e), want);
        }
        assert!(cal.is_empty());
    }

    #[test]
    fn taking_and_scheduling_orders_as_popping_and_pushing() {
        // The same script on two calendars: one pops then pushes, the other takes,
        // lets the first push replace the taken event, then settles. Zero, one or
        // two follow-ups per event, so both the replacement and the plain push
        // (and the plain removal) are exercised.
        let (mut a, mut b) = (Calendar::new(), Calendar::new());
        let mut x = 7u64;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            x >> 33
        };
        for i in 0..64u32 {
            let t = SimTime(next() % 100);
            a.schedule(t, i);
            b.schedule(t, i);
        }
        let mut id = 64u32;
        let mut handled = 0;
        for _ in 0..5000 {
            handled += 1;
            let (ta, ea) = a.pop().unwrap();
            let (tb, eb) = b.take().unwrap();
            assert_eq!((ta, ea), (tb, eb));
            for _ in 0..next() % 3 {
                let t = SimTime(ta.0 + next() % 50);
                a.schedule(t, id);
                b.schedule(t, id);
                id += 1;
            }
            b.settle();
            if a.is_empty() {
                break;
            }
        }
        while let Some(pa) = a.pop() {
            assert_eq!(Some(pa), b.pop());
        }
        assert!(b.is_empty());
        // Not a script that drained at once: thousands of events went through.
        assert!(handled > 1000, "only {handled} events taken");
    }
}
