//! Where the threads of a pool start.
//!
//! Threads started together, by a thread that has been working a while,
//! often begin on one core: Linux often places a thread it wakes on the core
//! of the thread that woke it, and the load balancer separates them only
//! some milliseconds later. Each runs at half speed meanwhile. In Verkhny
//! Lars's 20 replications on two threads (`examples/two_threads`), the two
//! threads began on one core in 7 to 9 passes of 12, and their first
//! replications took 10–12 ms instead of 6. A pool that takes every core
//! the process may use therefore moves each of its threads onto a core of
//! its own as it starts ([`start_on_own_core`]); `docs/performance-notes.md`
//! (*Where the threads start*) has the measurements.

/// Moves the calling thread, the `index`-th of `threads` started together,
/// onto a core of its own, then lets it run on any core again: it starts
/// where no other thread of its pool does, and the kernel may still move it
/// later, when its core gets busy.
///
/// Only a pool with a thread for every core this process may use is spread
/// so. With fewer threads than cores, the machine may be shared with other
/// work, and the kernel, which sees it, chooses better. Elsewhere than on
/// Linux, and where the calls fail, nothing changes. Returns the core the
/// thread was moved to, if it was.
pub fn start_on_own_core(index: usize, threads: usize) -> Option<usize> {
    #[cfg(target_os = "linux")]
    return linux::start_on_own_core(index, threads);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (index, threads);
        None
    }
}

/// Runs `work(i)` for each `i` in `0..copies` at once, each on a thread of
/// its own that starts on a core of its own ([`start_on_own_core`]), and
/// returns the results in that order: copies that share nothing, as the
/// bench runs them to measure what the machine gives any work. A lone
/// copy (`copies` = 1) runs on this thread, as a lone replication does. A
/// copy's panic passes on to the caller.
pub fn on_own_cores<T: Send>(copies: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if copies == 1 {
        return vec![work(0)];
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..copies)
            .map(|i| {
                scope.spawn(move || {
                    start_on_own_core(i, copies);
                    work(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// The core for the `index`-th of `threads` threads, among the cores
/// `allowed` (in order): one each in turn when the threads take them all;
/// none when there are fewer threads than cores.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn own_core(index: usize, threads: usize, allowed: &[usize]) -> Option<usize> {
    if allowed.is_empty() || threads < allowed.len() {
        return None;
    }
    Some(allowed[index % allowed.len()])
}

#[cfg(target_os = "linux")]
mod linux {
    use std::mem::{size_of, zeroed};

    /// The cores this thread may run on, as a set and as a list.
    fn allowed() -> Option<(libc::cpu_set_t, Vec<usize>)> {
        // SAFETY: `cpu_set_t` is plain data (all zeros is the empty set), and
        // the call writes only into the set given, of the size given.
        unsafe {
            let mut set: libc::cpu_set_t = zeroed();
            if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return None;
            }
            let cores = (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect();
            Some((set, cores))
        }
    }

    /// Sets the cores this thread may run on; false if the kernel refused.
    fn allow(set: &libc::cpu_set_t) -> bool {
        // SAFETY: the call reads only the set given, of the size given, and
        // changes only the calling thread's affinity.
        unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), set) == 0 }
    }

    pub(super) fn start_on_own_core(index: usize, threads: usize) -> Option<usize> {
        let (all, cores) = allowed()?;
        let core = super::own_core(index, threads, &cores)?;
        // SAFETY: as in `allowed`: a plain set, written only through CPU_SET.
        let mut own: libc::cpu_set_t = unsafe { zeroed() };
        // SAFETY: `core` came from the set's own range (below CPU_SETSIZE).
        unsafe { libc::CPU_SET(core, &mut own) };
        // Allowed only there, the thread moves there before the call returns;
        // allowed everywhere again, it stays until the kernel has a reason.
        if !allow(&own) {
            return None;
        }
        // The set was this thread's a moment ago, so the kernel takes it
        // back. Should it refuse (the process's cores changed in between),
        // the thread keeps to its own core: slower to rebalance, still right.
        let _widened = allow(&all);
        Some(core)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_thread_moved_to_its_own_core_may_run_anywhere_again() {
            let (_, before) = allowed().expect("this thread's cores");
            std::thread::scope(|s| {
                s.spawn(|| {
                    let last = before.len() - 1;
                    assert_eq!(start_on_own_core(last, before.len()), Some(before[last]));
                    assert_eq!(allowed().expect("its cores").1, before);
                    // One thread short of every core: left where it is.
                    if last > 0 {
                        assert_eq!(start_on_own_core(0, last), None);
                    }
                });
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::own_core;

    #[test]
    fn threads_that_take_every_core_get_one_each_in_turn() {
        let cores = [0, 2, 3];
        let each: Vec<_> = (0..5).map(|i| own_core(i, 5, &cores)).collect();
        assert_eq!(each, [Some(0), Some(2), Some(3), Some(0), Some(2)]);
        assert_eq!(own_core(1, 3, &cores), Some(2));
    }

    #[test]
    fn copies_run_at_once_on_threads_of_their_own_and_come_back_in_order() {
        let here = std::thread::current().id();
        let copies = super::on_own_cores(3, |i| (i * 10, std::thread::current().id()));
        let results: Vec<usize> = copies.iter().map(|c| c.0).collect();
        assert_eq!(results, [0, 10, 20]);
        let threads: std::collections::HashSet<_> = copies.iter().map(|c| c.1).collect();
        assert_eq!(threads.len(), 3, "one thread a copy");
        assert!(!threads.contains(&here));
        // A lone copy runs here.
        assert_eq!(
            super::on_own_cores(1, |_| std::thread::current().id()),
            [here]
        );
    }

    #[test]
    fn fewer_threads_than_cores_are_left_to_the_kernel() {
        assert_eq!(own_core(0, 2, &[0, 1, 2]), None);
        assert_eq!(own_core(0, 1, &[]), None);
    }
}
