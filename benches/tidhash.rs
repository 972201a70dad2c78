//! Lookups per second of the three real-thread tid hash implementations
//! (the faithful port with its retired list, crossbeam-epoch, the arc-swap
//! snapshot) at 1 and 2 reader threads while another thread keeps growing
//! the table. std build only:
//!
//! ```sh
//! cargo bench --bench tidhash
//! ```
//!
//! Each measured iteration is one lookup per reader thread, so criterion's
//! throughput is lookups per second over all readers. The grower starts
//! with the readers and creates LWPs until they finish (at most 32768, about
//! 13 growths), so the early part of every sample runs against growth and
//! the rest against a large, stable table.

#[cfg(not(any(loom, shuttle)))]
mod bench {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    use std::sync::Barrier;
    use std::time::{Duration, Instant};

    use criterion::{BenchmarkId, Criterion, Throughput};
    use lwpcheck::models::tidhash::epoch;
    use lwpcheck::models::tidhash::snapshot::SnapProc;
    use lwpcheck::models::tidhash::{Proc, Variant};

    /// One implementation, as the benchmark drives it.
    trait TidHash: Sync {
        fn create(&self, tid: usize);
        /// A reader thread's lookup function (the epoch reader keeps one
        /// collector handle for all its lookups).
        fn reader(&self) -> Box<dyn Fn(usize) -> Option<usize> + '_>;
    }

    impl TidHash for Proc {
        fn create(&self, tid: usize) {
            self.lwp_create(tid);
        }
        fn reader(&self) -> Box<dyn Fn(usize) -> Option<usize> + '_> {
            Box::new(move |tid| {
                self.lwp_hash_lookup_and_lock(tid).map(|f| {
                    let s = f.le_start();
                    f.unlock();
                    s
                })
            })
        }
    }

    impl TidHash for Proc<epoch::Epoch> {
        fn create(&self, tid: usize) {
            self.lwp_create(tid);
        }
        fn reader(&self) -> Box<dyn Fn(usize) -> Option<usize> + '_> {
            let handle = self.register();
            Box::new(move |tid| {
                self.lwp_hash_lookup_and_lock_with(tid, &handle).map(|f| {
                    let s = f.le_start();
                    f.unlock();
                    s
                })
            })
        }
    }

    impl TidHash for SnapProc {
        fn create(&self, tid: usize) {
            self.lwp_create(tid);
        }
        fn reader(&self) -> Box<dyn Fn(usize) -> Option<usize> + '_> {
            Box::new(|tid| self.with_lwp(tid, |l| l.le_start))
        }
    }

    /// `iters` lookups in each of `readers` threads while a grower runs;
    /// the time from the common start to the last reader's end.
    fn measure(p: &dyn TidHash, readers: usize, iters: u64) -> Duration {
        p.create(1);
        p.create(2);
        let done = AtomicBool::new(false);
        // The grower, the readers and this thread start together.
        let start = Barrier::new(readers + 2);
        std::thread::scope(|s| {
            s.spawn(|| {
                start.wait();
                for tid in 3..32768 {
                    if done.load(Relaxed) {
                        break;
                    }
                    p.create(tid);
                }
            });
            let hs: Vec<_> = (0..readers)
                .map(|r| {
                    let start = &start;
                    s.spawn(move || {
                        let lookup = p.reader();
                        start.wait();
                        for i in 0..iters {
                            let tid = 1 + ((i as usize + r) & 1);
                            assert!(lookup(tid).is_some(), "tid {tid} not found");
                        }
                    })
                })
                .collect();
            start.wait();
            let t0 = Instant::now();
            for h in hs {
                h.join().expect("reader");
            }
            done.store(true, Relaxed);
            t0.elapsed()
        })
    }

    pub fn lookups_during_growth(c: &mut Criterion) {
        let mut g = c.benchmark_group("tidhash_lookup_during_growth");
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        type Make = fn() -> Box<dyn TidHash>;
        let impls: [(&str, Make); 3] = [
            ("faithful", || Box::new(Proc::new(Variant::Faithful))),
            ("epoch", || {
                Box::new(Proc::new_epoch(epoch::Variant::Faithful))
            }),
            ("snapshot", || Box::new(SnapProc::new())),
        ];
        for readers in [1usize, 2] {
            g.throughput(Throughput::Elements(readers as u64));
            for (name, make) in impls {
                g.bench_with_input(BenchmarkId::new(name, readers), &readers, |b, &readers| {
                    b.iter_custom(|iters| measure(&*make(), readers, iters))
                });
            }
        }
        g.finish();
    }
}

#[cfg(not(any(loom, shuttle)))]
criterion::criterion_group!(benches, bench::lookups_during_growth);
#[cfg(not(any(loom, shuttle)))]
criterion::criterion_main!(benches);

/// Benchmarks run on real threads only; under an explorer this target is empty.
#[cfg(any(loom, shuttle))]
fn main() {}
