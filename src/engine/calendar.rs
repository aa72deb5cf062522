//! The event calendar: pending events ordered by simulated time, ties broken by
//! the order in which they were scheduled.
//!
//! A binary min-heap written out here rather than `std::collections::BinaryHeap`:
//! it moves a hole instead of swapping, compares one `u128` key per step, and
//! needs no reversed `Ord`; on the reference workload it halves the cost of a pop.

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
        // Sift up from a hole at the end.
        let heap = &mut self.heap;
        let mut i = heap.len();
        heap.push(Pending { key, event });
        while i > 0 {
            let parent = (i - 1) / 2;
            if heap[parent].key <= key {
                break;
            }
            heap[i] = heap[parent];
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
        self.heap.first().map_or(u128::MAX, |p| p.key)
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let heap = &mut self.heap;
        let n = heap.len();
        if n == 0 {
            return Some((SimTime((last.key >> 64) as u64), last.event));
        }
        let top = heap[0];
        // Sift the last element down from a hole at the root.
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && heap[right].key < heap[left].key {
                right
            } else {
                left
            };
            if heap[child].key >= last.key {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        Some((SimTime((top.key >> 64) as u64), top.event))
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
}
