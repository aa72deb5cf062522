//! The event calendar: pending events ordered by simulated time, ties broken by
//! the order in which they were scheduled.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// A pending event: when, a tie-breaking sequence number, and what.
#[derive(Clone, Copy, Debug)]
struct Pending<E> {
    /// `time << 64 | seq`: one integer comparison orders by time, then by insertion.
    key: u128,
    event: E,
}

impl<E> PartialEq for Pending<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Pending<E> {}
impl<E> PartialOrd for Pending<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Pending<E> {
    /// Reversed, so that the max-heap pops the earliest key first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
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
    heap: BinaryHeap<Pending<E>>,
    seq: u64,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Calendar::new()
    }
}

impl<E> Calendar<E> {
    /// An empty calendar.
    pub fn new() -> Calendar<E> {
        Calendar {
            heap: BinaryHeap::with_capacity(64),
            seq: 0,
        }
    }

    /// Schedules `event` at `at`.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let key = self.stamp(at);
        self.heap.push(Pending { key, event });
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
        self.heap.peek().map_or(u128::MAX, |p| p.key)
    }

    /// The time of the earliest pending event, or [`SimTime::NEVER`].
    #[inline]
    pub fn next_time(&self) -> SimTime {
        self.heap
            .peek()
            .map_or(SimTime::NEVER, |p| SimTime((p.key >> 64) as u64))
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap
            .pop()
            .map(|p| (SimTime((p.key >> 64) as u64), p.event))
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
