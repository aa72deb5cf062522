//! Patience deadlines: a monotone priority queue (a radix heap) over the
//! calendar's `u128` keys.
//!
//! Deadlines are many (one per waiting unit with a patience, and the stale
//! ones of units already served until they come up) and always set in the
//! future: a deadline is scheduled at `now` plus a patience, with a fresh
//! stamp, so its key is above that of every deadline already taken. A radix
//! heap uses that. It keeps keys in buckets by the highest bit in which they
//! differ from the last key taken; a key only ever moves to a lower bucket,
//! so scheduling is a push and taking the first is, amortised, a handful of
//! moves, at a cost that does not grow with the number pending. A binary
//! heap sifts down through one level per doubling, with a branch at each
//! that the processor cannot predict: on random keys (criterion's
//! `deadlines hold` bench) it is ahead up to about ten thousand pending and
//! several times behind at tens of thousands, as in R1 with 10,000 units
//! waiting, each with a patience; among the engine's other work its
//! mispredictions cost more than its instructions save at every size, so a
//! switch between the two by size was measured and not kept (figures in
//! `docs/performance-notes.md`, *What is left*, and
//! `docs/performance-history.md`, *Patience*).
//!
//! Keys are unique (each is a fresh stamp), so the order taken is the order of
//! the keys alone, the same as the calendar's. (Equal keys would all be
//! taken, one after another, in an order of the queue's choosing.)

use crate::time::SimTime;

/// Buckets: 0 holds a key equal to the last taken; `b` in 1..=128 holds keys
/// whose highest bit differing from it is bit `b - 1`.
const BUCKETS: usize = 129;

/// The most entries an emptied bucket keeps room for.
const KEEP: usize = 256;

/// Pending deadlines `E`, taken in the order of their keys.
///
/// ```
/// use borderq::engine::Deadlines;
/// let mut d = Deadlines::new();
/// d.push(30, 'c');
/// d.push(10, 'a');
/// d.push(20, 'b');
/// assert_eq!(d.next_key(), 10);
/// assert_eq!(d.pop().map(|(_, e)| e), Some('a'));
/// d.push(15, 'x'); // at or after the last taken
/// assert_eq!(d.pop().map(|(_, e)| e), Some('x'));
/// assert_eq!(d.pop().map(|(_, e)| e), Some('b'));
/// ```
#[derive(Clone, Debug)]
pub struct Deadlines<E> {
    buckets: Vec<Vec<(u128, E)>>,
    /// The smallest key in each bucket (`u128::MAX` when it is empty).
    bucket_min: [u128; BUCKETS],
    /// Bit `b` is set when bucket `b` holds a key.
    occupied: [u64; 3],
    /// The key last taken (0 before the first).
    last: u128,
    /// The smallest pending key, or `u128::MAX`.
    min: u128,
    len: usize,
}

impl<E: Copy> Default for Deadlines<E> {
    fn default() -> Self {
        Deadlines::new()
    }
}

impl<E: Copy> Deadlines<E> {
    /// No deadlines.
    pub fn new() -> Deadlines<E> {
        Deadlines {
            buckets: vec![Vec::new(); BUCKETS],
            bucket_min: [u128::MAX; BUCKETS],
            occupied: [0; 3],
            last: 0,
            min: u128::MAX,
            len: 0,
        }
    }

    /// Deadlines pending.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The smallest pending key, or `u128::MAX`.
    #[inline]
    pub fn next_key(&self) -> u128 {
        self.min
    }

    /// Adds `event` under `key`, which must not be below the last key taken.
    ///
    /// # Panics
    /// If `key` is below the last key taken: the queue would lose its order.
    #[inline]
    pub fn push(&mut self, key: u128, event: E) {
        assert!(
            key >= self.last,
            "a deadline before the last one taken: {key} < {}",
            self.last
        );
        self.put(key, event);
        self.min = self.min.min(key);
        self.len += 1;
    }

    /// Removes and returns the pending deadline with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.len == 0 {
            return None;
        }
        let first = self.min;
        let b = self.bucket_of(first);
        self.last = first;
        // Every other key of bucket `b` shares the bits above `b - 1` with
        // the new last key, so it moves to a lower bucket.
        let mut moving = std::mem::take(&mut self.buckets[b]);
        self.bucket_min[b] = u128::MAX;
        self.occupied[b / 64] &= !(1 << (b % 64));
        let mut taken = None;
        for &(key, event) in &moving {
            if key == first && taken.is_none() {
                taken = Some(event);
            } else {
                self.put(key, event);
            }
        }
        // A small bucket keeps its room for the next keys; a large one gives
        // it back, or every bucket would hold on to its own peak. (Bucket 0
        // may have been refilled, with keys equal to the one taken.)
        if moving.capacity() <= KEEP && self.buckets[b].is_empty() {
            moving.clear();
            self.buckets[b] = moving;
        }
        self.len -= 1;
        self.min = self
            .lowest_bucket()
            .map_or(u128::MAX, |b| self.bucket_min[b]);
        let event = taken.expect("the smallest key is in its bucket");
        Some((SimTime((first >> 64) as u64), event))
    }

    /// Keeps only the deadlines for which `keep` is true: for dropping, in
    /// one pass, those that can no longer matter (their unit was served).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.len = 0;
        for (b, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.retain(|(_, e)| keep(e));
            self.bucket_min[b] = bucket.iter().map(|&(k, _)| k).min().unwrap_or(u128::MAX);
            if bucket.is_empty() {
                self.occupied[b / 64] &= !(1 << (b % 64));
            }
            self.len += bucket.len();
        }
        self.min = self
            .lowest_bucket()
            .map_or(u128::MAX, |b| self.bucket_min[b]);
    }

    /// Files `key` in its bucket.
    #[inline]
    fn put(&mut self, key: u128, event: E) {
        let b = self.bucket_of(key);
        self.buckets[b].push((key, event));
        self.bucket_min[b] = self.bucket_min[b].min(key);
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    /// The bucket of `key`, relative to the last key taken.
    #[inline]
    fn bucket_of(&self, key: u128) -> usize {
        (u128::BITS - (key ^ self.last).leading_zeros()) as usize
    }

    /// The lowest bucket holding a key: the smallest key is there.
    #[inline]
    fn lowest_bucket(&self) -> Option<usize> {
        self.occupied
            .iter()
            .enumerate()
            .find(|(_, &w)| w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::SplitMix64;
    use rand::Rng;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Pushes and pops at random against `std`'s heap, with keys shaped like
    /// the engine's (time << 64 | stamp), many at the same time.
    #[test]
    fn takes_keys_in_order_like_a_binary_heap() {
        let mut rng = SplitMix64::new(7, 0);
        for spread in [1u64, 1_000, 1 << 20, 1 << 40, u64::MAX >> 2] {
            let mut d = Deadlines::new();
            let mut reference = BinaryHeap::new();
            let (mut now, mut stamp, mut taken) = (0u64, 0u64, 0);
            for _ in 0..20_000 {
                if rng.random_bool(0.55) {
                    let at = now.saturating_add(rng.random_range(0..spread));
                    let key = (u128::from(at) << 64) | u128::from(stamp);
                    stamp += 1;
                    d.push(key, stamp);
                    reference.push(Reverse((key, stamp)));
                } else if let Some(Reverse((key, event))) = reference.pop() {
                    let (at, got) = d.pop().expect("as many as the reference");
                    assert_eq!((at.0, got), ((key >> 64) as u64, event));
                    now = at.0;
                    taken += 1;
                } else {
                    assert!(d.pop().is_none());
                }
                assert_eq!(d.len(), reference.len());
                let next = reference.peek().map_or(u128::MAX, |r| r.0 .0);
                assert_eq!(d.next_key(), next);
            }
            assert!(taken > 5_000, "the test took {taken}");
        }
    }

    #[test]
    fn a_key_equal_to_the_last_taken_comes_next() {
        let mut d = Deadlines::new();
        d.push(0, 'a');
        d.push(5, 'b');
        assert_eq!(d.pop().map(|(_, e)| e), Some('a'));
        d.push(0, 'c');
        assert_eq!(d.next_key(), 0);
        assert_eq!(d.pop().map(|(_, e)| e), Some('c'));
        assert_eq!(d.pop().map(|(_, e)| e), Some('b'));
        assert!(d.is_empty());
        assert_eq!(d.next_key(), u128::MAX);
    }

    #[test]
    fn retain_keeps_the_order_of_what_is_kept() {
        let mut rng = SplitMix64::new(11, 0);
        let mut d = Deadlines::new();
        let mut kept = Vec::new();
        for stamp in 0..5_000u64 {
            let key = (u128::from(rng.random_range(0..1u64 << 40)) << 64) | u128::from(stamp);
            d.push(key, stamp);
            if stamp % 3 == 0 {
                kept.push((key, stamp));
            }
        }
        // Take some first, so the buckets are relative to a later key.
        let mut taken = Vec::new();
        for _ in 0..1_000 {
            taken.push(d.pop().expect("pending").1);
        }
        d.retain(|&e| e % 3 == 0);
        kept.sort();
        kept.retain(|(_, e)| !taken.contains(e));
        assert_eq!(d.len(), kept.len());
        assert_eq!(d.next_key(), kept[0].0);
        for &(key, e) in &kept {
            let (at, got) = d.pop().expect("kept");
            assert_eq!((at.0, got), ((key >> 64) as u64, e));
        }
        assert!(d.pop().is_none());
        assert_eq!(d.next_key(), u128::MAX);
    }

    #[test]
    fn equal_keys_are_all_taken() {
        let mut d = Deadlines::new();
        for (key, e) in [(7, 'a'), (3, 'b'), (7, 'c'), (7, 'd'), (9, 'e')] {
            d.push(key, e);
        }
        let mut got = Vec::new();
        while let Some((_, e)) = d.pop() {
            got.push(e);
        }
        assert_eq!(got[0], 'b');
        let mut sevens = got[1..4].to_vec();
        sevens.sort();
        assert_eq!(sevens, ['a', 'c', 'd']);
        assert_eq!(got[4], 'e');
        assert!(d.is_empty());
    }

    #[test]
    #[should_panic(expected = "a deadline before the last one taken")]
    fn a_key_below_the_last_taken_is_refused() {
        let mut d = Deadlines::new();
        d.push(10, ());
        d.pop();
        d.push(9, ());
    }
}
